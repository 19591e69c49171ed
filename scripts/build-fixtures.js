#!/usr/bin/env node
// pretest step: compiles each test/fixtures/<name>.c into dist-test/fixtures/<name> (not build/: node-gyp rebuild empties it).
// A fixture is rebuilt only when it is older than its source or than a shared header,
// so `npm test` stays fast; warnings are errors so the fixtures stay trivially correct.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = join(root, 'test', 'fixtures');
const out = join(root, 'dist-test', 'fixtures');
const flags = ['-O2', '-Wall', '-Wextra', '-Werror', '-pthread'];

const mtime = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1; // not built yet
  }
};

mkdirSync(out, { recursive: true });
const files = readdirSync(sources);
const headers = Math.max(0, ...files.filter((f) => f.endsWith('.h')).map((f) => mtime(join(sources, f))));
let built = 0;
for (const file of files.filter((f) => f.endsWith('.c')).sort()) {
  const src = join(sources, file);
  const bin = join(out, file.slice(0, -2));
  if (mtime(bin) >= Math.max(mtime(src), headers)) continue;
  const cc = spawnSync('cc', [...flags, '-o', bin, src], { stdio: 'inherit' });
  if (cc.error || cc.status !== 0) {
    process.stderr.write(`corral: cannot build fixture ${file}: ${cc.error?.message ?? `cc exited ${cc.status}`}\n`);
    process.exit(1);
  }
  built++;
}
process.stdout.write(`fixtures: ${built} built, ${files.filter((f) => f.endsWith('.c')).length - built} up to date\n`);
