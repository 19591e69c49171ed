#!/usr/bin/env node
// npm install step: builds native/reaper/reaper.c into build/Release/corral-reaper
// with node-gyp, after checking for the toolchain so that a missing compiler is
// one clear line instead of a page of gyp output.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function fail(message, hint) {
  process.stderr.write(`corral: cannot build the reaper: ${message}\nhint: ${hint}\n`);
  process.exit(1);
}

if (process.platform !== 'linux') {
  fail(`corral runs on Linux only (this is ${process.platform})`, 'use corral on a Linux machine or container');
}
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const missing = ['cc', 'make', 'python3'].filter((cmd) => !has(cmd));
if (missing.length > 0) {
  fail(
    `${missing.join(', ')} not found on PATH`,
    'install a C toolchain, e.g. `apt-get install build-essential python3` (Debian/Ubuntu), `dnf install gcc make python3` (Fedora) or `apk add build-base python3` (Alpine)',
  );
}
// npm exports npm_config_node_gyp to install scripts; fall back to the copy bundled with npm.
const gyp =
  process.env.npm_config_node_gyp ??
  join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
if (!existsSync(gyp)) fail(`node-gyp not found at ${gyp}`, 'install it with `npm install -g node-gyp`');
const built = spawnSync(process.execPath, [gyp, 'rebuild'], { cwd: root, stdio: 'inherit' });
if (built.status !== 0) {
  fail(
    'node-gyp rebuild failed (see above)',
    'a static build needs the C library archive (libc.a: `apt-get install libc6-dev`); set CORRAL_REAPER to a prebuilt corral-reaper to skip the build',
  );
}
