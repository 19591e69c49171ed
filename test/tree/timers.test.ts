// Timeout and grace timers, with mock timers and a stand-in reaper: what is sent, and when.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { normalizeOptions } from '../../dist/options.js';
import type { ReaperClient } from '../../dist/reaper/client.js';
import { Tree } from '../../dist/tree/tree.js';

class FakeReaper extends EventEmitter {
  readonly pid = 999_999;
  readonly process = { stdin: null, stdout: null, stderr: null };
  readonly running = true;
  readonly sent: string[] = [];
  signal(signo: number, cont: boolean): void {
    this.sent.push(`signal ${signo}${cont ? ' +CONT' : ''}`);
  }
  kill(): void {
    this.sent.push('kill');
  }
  finish(): void {
    this.emit('event', { type: 'exited', exitCode: null, signal: 9, core: false });
    this.emit('event', {
      type: 'empty',
      totals: { processes: 1, peakProcesses: 1, cpuUserMs: 0, cpuSystemMs: 0, peakRssKiB: 0 },
    });
    this.emit('exit', { code: 0, signal: null });
  }
}

function tree(options: Parameters<typeof normalizeOptions>[2]) {
  const reaper = new FakeReaper();
  const t = new Tree(
    reaper as unknown as ReaperClient,
    normalizeOptions('sleep', ['100'], options),
    { main: 1, init: 0, cgroup: undefined },
    performance.now(),
  );
  return { reaper, t };
}

test('timeout sends the kill signal with SIGCONT, then SIGKILL after killAfter', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { reaper, t: handle } = tree({ timeout: '2s', killAfter: 500 });
  t.mock.timers.tick(1999);
  assert.deepEqual(reaper.sent, []);
  t.mock.timers.tick(1);
  assert.deepEqual(reaper.sent, ['signal 15 +CONT']);
  t.mock.timers.tick(499);
  assert.deepEqual(reaper.sent, ['signal 15 +CONT']);
  t.mock.timers.tick(1);
  assert.deepEqual(reaper.sent, ['signal 15 +CONT', 'kill']);
  reaper.finish();
  const result = await handle.done;
  assert.equal(result.timedOut, true);
  assert.equal(result.killed, true);
  assert.equal(result.signal, 'SIGKILL');
});

test('killAfter Infinity never escalates, as GNU timeout without -k', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { reaper } = tree({ timeout: 1000, killAfter: Number.POSITIVE_INFINITY, killSignal: 'SIGINT' });
  t.mock.timers.tick(1000);
  t.mock.timers.tick(10 * 86_400_000);
  assert.deepEqual(reaper.sent, ['signal 2 +CONT']);
  reaper.finish();
});

test('timeouts beyond a single Node timer (2^31 ms) still fire on time', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const { reaper } = tree({ timeout: '30d' });
  for (let day = 0; day < 29; day++) t.mock.timers.tick(86_400_000);
  t.mock.timers.tick(86_400_000 - 1);
  assert.deepEqual(reaper.sent, []);
  t.mock.timers.tick(1);
  assert.deepEqual(reaper.sent, ['signal 15 +CONT']);
  reaper.finish();
});

test('kill(SIGKILL) kills at once; kill() with grace 0 too', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const a = tree({});
  void a.t.kill('SIGKILL');
  assert.deepEqual(a.reaper.sent, ['kill']);
  a.reaper.finish();
  const b = tree({});
  void b.t.kill('SIGTERM', { grace: 0 });
  assert.deepEqual(b.reaper.sent, ['kill']);
  b.reaper.finish();
});

test('no timer fires once the tree is done', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { reaper, t: handle } = tree({ timeout: 1000 });
  reaper.finish();
  await handle.done;
  t.mock.timers.tick(5000);
  assert.deepEqual(reaper.sent, []);
});

test('a reaper that dies before the tree is empty rejects done with CORRAL_ERR_REAPER', async () => {
  const { reaper, t: handle } = tree({});
  reaper.emit('exit', { code: null, signal: 'SIGKILL' });
  await assert.rejects(handle.done, {
    code: 'CORRAL_ERR_REAPER',
    message: /was killed by SIGKILL before the tree was empty/,
  });
});

test('a finite grace after an infinite one still escalates, at the earliest deadline asked for', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { reaper, t: handle } = tree({});
  void handle.kill('SIGTERM', { grace: Number.POSITIVE_INFINITY });
  void handle.kill('SIGTERM', { grace: 300 });
  void handle.kill('SIGTERM', { grace: 1000 }); // later than the armed one: changes nothing
  t.mock.timers.tick(299);
  assert.deepEqual(reaper.sent, ['signal 15 +CONT', 'signal 15 +CONT', 'signal 15 +CONT']);
  t.mock.timers.tick(1);
  assert.equal(reaper.sent.at(-1), 'kill');
  t.mock.timers.tick(1000);
  assert.equal(reaper.sent.filter((s) => s === 'kill').length, 1);
  reaper.finish();
});
