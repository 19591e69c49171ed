// docs/errors.md is the table users read: every code in src/errors.ts is in it, and nothing else.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as corral from '../dist/index.js';
import { repoRoot } from './helpers/index.js';

const doc = readFileSync(`${repoRoot}/docs/errors.md`, 'utf8');
const rows = [...doc.matchAll(/^\| `(CORRAL_ERR_\w+)` \| `(\w+)` \|/gm)].map((m) => ({ code: m[1], name: m[2] }));
const source = readFileSync(`${repoRoot}/src/errors.ts`, 'utf8');

test('every error code in src/errors.ts is documented once, with its class', () => {
  const codes = [...new Set([...source.matchAll(/'(CORRAL_ERR_\w+)'/g)].map((m) => m[1]))].sort();
  assert.deepEqual(rows.map((r) => r.code).sort(), codes);
});

test('every documented class is exported and is a CorralError', () => {
  for (const { name } of rows) {
    const cls = (corral as unknown as Record<string, unknown>)[name as string];
    assert.equal(typeof cls, 'function', `${name} is exported`);
    assert.ok((cls as { prototype: unknown }).prototype instanceof corral.CorralError, `${name} extends CorralError`);
  }
});

test('errors carry a stable code, a message and a hint', () => {
  const table: [corral.CorralError, string][] = [
    [new corral.CommandNotFoundError('nope'), 'CORRAL_ERR_COMMAND_NOT_FOUND'],
    [new corral.CommandNotExecutableError('/etc/passwd', 'EACCES'), 'CORRAL_ERR_NOT_EXECUTABLE'],
    [new corral.ReaperNotFoundError('/x/corral-reaper'), 'CORRAL_ERR_REAPER_NOT_FOUND'],
    [new corral.UnsupportedPlatformError('this is darwin'), 'CORRAL_ERR_UNSUPPORTED_PLATFORM'],
  ];
  for (const [error, code] of table) {
    assert.equal(error.code, code);
    assert.ok(corral.isCorralError(error));
    assert.ok(error.message.length > 0);
    assert.ok(error.hint && error.hint.length > 0, `${code} has a hint`);
  }
});
