// npm install's build step: a machine without a C toolchain gets one line saying what to install.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from './helpers/index.js';

test('building the reaper without cc, make or python3 says exactly what to install', () => {
  const bin = mkdtempSync(join(tmpdir(), 'corral-nocc-'));
  try {
    symlinkSync('/bin/sh', join(bin, 'sh')); // the check itself runs through sh; nothing else is on PATH
    const build = spawnSync(process.execPath, [join(repoRoot, 'scripts/build-reaper.js')], {
      env: { PATH: bin },
      encoding: 'utf8',
    });
    assert.equal(build.status, 1);
    assert.equal(
      build.stderr,
      'corral: cannot build the reaper: cc, make, python3 not found on PATH\n' +
        'hint: install a C toolchain, e.g. `apt-get install build-essential python3` (Debian/Ubuntu), `dnf install gcc make python3` (Fedora) or `apk add build-base python3` (Alpine)\n',
    );
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});
