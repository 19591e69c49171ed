// The supervisor's pure parts: the restart decision, the line splitter, the log store's rotation,
// the prefixer, and the private runtime directory check.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decideRestart } from '../../dist/up/supervisor/backoff.js';
import { Batch, LineSplitter } from '../../dist/up/supervisor/lines.js';
import { LogStore, readTail } from '../../dist/up/supervisor/log-store.js';
import { checkPrivateDir, ensurePrivateDir, projectPaths } from '../../dist/up/supervisor/paths.js';
import { Prefixer } from '../../dist/up/supervisor/prefix.js';

const backoff = { initialMs: 100, maxDelayMs: 1000, maxRestarts: 5, windowMs: 60_000 };
const failed = { exitCode: 1, signal: null };

test('restart delays double from initialMs up to maxDelayMs; the sixth exit in the window gives up', () => {
  let recent: number[] = [];
  const delays: number[] = [];
  for (let i = 0; i < 5; i++) {
    const next = decideRestart('on-failure', backoff, failed, recent, 1000 + i);
    assert.equal(next.decision.action, 'restart');
    if (next.decision.action === 'restart') delays.push(next.decision.delayMs);
    recent = next.recent;
  }
  assert.deepEqual(delays, [100, 200, 400, 800, 1000]);
  const last = decideRestart('on-failure', backoff, failed, recent, 2000);
  assert.deepEqual(last.decision, { action: 'failed', reason: 'exited 1 six times in 60s; not restarting' });
});

test('exits older than the window are forgotten: the delay starts again from initialMs', () => {
  const recent = [0, 1, 2, 3, 4];
  const next = decideRestart('always', backoff, failed, recent, 60_010);
  assert.deepEqual(next.decision, { action: 'restart', delayMs: 100 });
  assert.deepEqual(next.recent, [60_010]);
});

test('policies: no never restarts, on-failure only after a failure, always after exit 0 too', () => {
  const ok = { exitCode: 0, signal: null };
  const killed = { exitCode: null, signal: 'SIGSEGV' };
  assert.deepEqual(decideRestart('no', backoff, ok, [], 0).decision, { action: 'exited' });
  assert.deepEqual(decideRestart('no', backoff, failed, [], 0).decision, {
    action: 'failed',
    reason: 'exited 1; restart: no',
  });
  assert.deepEqual(decideRestart('on-failure', backoff, ok, [], 0).decision, { action: 'exited' });
  assert.deepEqual(decideRestart('on-failure', backoff, killed, [], 0).decision, { action: 'restart', delayMs: 100 });
  assert.deepEqual(decideRestart('always', backoff, ok, [], 0).decision, { action: 'restart', delayMs: 100 });
  const once = { ...backoff, maxRestarts: 0 };
  assert.deepEqual(decideRestart('always', once, killed, [], 0).decision, {
    action: 'failed',
    reason: 'killed by SIGSEGV once in 60s; not restarting',
  });
});

test('the line splitter never cuts or merges lines, whatever the chunks, and flushes a partial last line', () => {
  const text = 'alpha\nbeta gamma\n\nδέλτα\r\nlast, no newline';
  const bytes = Buffer.from(text);
  for (const size of [1, 2, 3, 7, bytes.length]) {
    const lines: string[] = [];
    const splitter = new LineSplitter((l) => lines.push(l));
    for (let i = 0; i < bytes.length; i += size) splitter.push(bytes.subarray(i, i + size));
    assert.deepEqual(lines, ['alpha', 'beta gamma', '', 'δέλτα'], `chunks of ${size}`);
    splitter.end();
    assert.deepEqual(lines.at(-1), 'last, no newline');
  }
});

test('the log store rotates at its size bound into one older file, and reads the tail across both', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-logs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new LogStore(dir, 1000);
  const followed: string[] = [];
  store.follow((l) => followed.push(l.line));
  const time = new Date('2030-01-01T00:00:00.000Z');
  for (let i = 0; i < 100; i++) store.append('web', `line ${String(i).padStart(3, '0')}`, new Date(time.getTime() + i));
  store.close();
  const current = statSync(join(dir, 'web.log')).size;
  const older = statSync(join(dir, 'web.log.1')).size;
  assert.ok(current <= 1000 && older <= 1000, `sizes ${current} and ${older} within the bound`);
  assert.equal(followed.length, 100);
  const tail = readTail(dir, ['web'], 3);
  assert.deepEqual(
    tail.map((l) => l.line),
    ['line 097', 'line 098', 'line 099'],
  );
  assert.equal(tail[0]?.time, '2030-01-01T00:00:00.097Z');
  assert.match(readFileSync(join(dir, 'web.log'), 'utf8'), /^2030-01-01T00:00:00\.\d{3}Z line \d{3}\n/);
});

test("the log store writes a turn's lines together: on disk after flush(), or once the turn is over", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-logs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new LogStore(dir);
  t.after(() => store.close());
  const onDisk = (): string[] => readTail(dir, ['web'], Number.POSITIVE_INFINITY).map((l) => l.line);
  store.append('web', 'one');
  store.append('web', 'two');
  assert.deepEqual(onDisk(), [], 'pending within the turn');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(onDisk(), ['one', 'two'], 'written once the turn is over');
  store.append('web', 'three');
  store.flush();
  assert.deepEqual(onDisk(), ['one', 'two', 'three'], 'flush() writes at once');
});

test("a Batch hands a turn's text to its writer in one call, in order; flush() empties it at once", async () => {
  const writes: string[] = [];
  const batch = new Batch((text) => writes.push(text));
  batch.add('a\n');
  batch.add('b\n');
  assert.deepEqual(writes, []);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(writes, ['a\nb\n']);
  batch.add('c\n');
  batch.flush();
  batch.flush();
  assert.deepEqual(writes, ['a\nb\n', 'c\n']);
  batch.add('x'.repeat(70 * 1024));
  assert.equal(writes.length, 3, 'a batch past 64 KiB is written without waiting for the turn');
});

test('prefixes align every name and colour only when asked', () => {
  const plain = new Prefixer(['web', 'worker'], { colour: false, timestamps: false });
  assert.equal(plain.format('web', 'hello'), 'web    | hello\n');
  assert.equal(plain.format('worker', 'x'), 'worker | x\n');
  const coloured = new Prefixer(['web'], { colour: true, timestamps: true });
  assert.equal(coloured.format('web', 'hi', new Date(0)), '1970-01-01T00:00:00.000Z \u001b[36mweb |\u001b[39m hi\n');
});

test('the runtime directory must be ours with mode 0700: otherwise it is refused, with the reason', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'corral-rt-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const paths = projectPaths('web-app', '/srv/app', { XDG_RUNTIME_DIR: root });
  assert.equal(paths.base, join(root, 'corral'));
  assert.match(paths.socket, /\/corral\/web-app-[0-9a-f]{12}\.sock$/);
  assert.notEqual(paths.socket, projectPaths('web-app', '/srv/other', { XDG_RUNTIME_DIR: root }).socket);
  ensurePrivateDir(paths.base);
  assert.equal(statSync(paths.base).mode & 0o777, 0o700);
  const open = join(root, 'open');
  mkdirSync(open);
  chmodSync(open, 0o755);
  assert.throws(() => checkPrivateDir(open), {
    code: 'CORRAL_ERR_UNSAFE_RUNTIME_DIR',
    message: `refusing to use ${open}: its mode is 0755, open to other users`,
  });
  const long = projectPaths('p'.repeat(200), '/x', { XDG_RUNTIME_DIR: root });
  assert.ok(Buffer.byteLength(long.socket) <= 107, 'the socket path fits sun_path');
});
