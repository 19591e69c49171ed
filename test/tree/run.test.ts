// run(): captured output, input, bounded buffers, and one result shape on success and failure.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CommandFailedError, KilledError, run, spawn, TimeoutError, type TreeFailedError } from '../../dist/index.js';
import { waitFor } from '../helpers/index.js';

const resultKeys = [
  'command',
  'coreDumped',
  'durationMs',
  'exitCode',
  'id',
  'killed',
  'leftovers',
  'level',
  'limit',
  'name',
  'oomKills',
  'pid',
  'reaperPid',
  'signal',
  'stderr',
  'stderrTruncated',
  'stdout',
  'stdoutTruncated',
  'timedOut',
  'totals',
];

test('captures stdout and stderr separately and feeds input', async () => {
  const result = await run('sh', ['-c', 'cat; echo err >&2'], { input: 'hello\n' });
  assert.equal(result.stdout, 'hello\n');
  assert.equal(result.stderr, 'err\n');
  assert.equal(result.exitCode, 0);
  assert.deepEqual(Object.keys(result).sort(), resultKeys);
});

test('output beyond maxBuffer is dropped and flagged, and the run still completes', async () => {
  const result = await run('sh', ['-c', 'head -c 100000 /dev/zero | tr "\\0" x'], { maxBuffer: 1000 });
  assert.equal(result.stdout?.length, 1000);
  assert.equal(result.stdoutTruncated, true);
  assert.equal(result.stderrTruncated, false);
});

test('a failed command rejects with an error carrying the whole result', async () => {
  await assert.rejects(run('sh', ['-c', 'echo out; exit 3']), (error: unknown) => {
    assert.ok(error instanceof CommandFailedError);
    assert.equal(error.code, 'CORRAL_ERR_COMMAND_FAILED');
    assert.equal(error.message, "Command failed with exit code 3: sh -c 'echo out; exit 3'");
    const failed = error as TreeFailedError & Record<string, unknown>;
    assert.equal(failed.exitCode, 3);
    assert.equal(failed.stdout, 'out\n');
    assert.deepEqual(Object.keys(failed.result).sort(), resultKeys);
    return true;
  });
});

test('reject: false resolves with the same shape', async () => {
  const result = await run('sh', ['-c', 'kill -TERM $$'], { reject: false });
  assert.deepEqual([result.exitCode, result.signal, result.timedOut, result.killed], [null, 'SIGTERM', false, false]);
  assert.deepEqual(Object.keys(result).sort(), resultKeys);
});

test('a timeout rejects with TimeoutError naming the limit', async () => {
  await assert.rejects(run('sleep', ['10'], { timeout: '0.2s' }), (error: unknown) => {
    assert.ok(error instanceof TimeoutError);
    assert.equal(error.message, 'Command timed out after 200 ms: sleep 10');
    assert.equal((error as TreeFailedError & { timedOut: boolean }).timedOut, true);
    return true;
  });
});

test('kill() of a run rejects it with KilledError', async () => {
  const tree = await spawn('sleep', ['10']);
  const [result] = await Promise.all([tree.done, tree.kill()]);
  assert.equal(result.killed, true);
  const error = new KilledError('x', result);
  assert.equal(error.code, 'CORRAL_ERR_KILLED');
});

test('signal() reaches every member of the tree exactly once', async () => {
  // Three shells (main, a child, a setsid() grandchild): each counts SIGUSR1 and prints the count on SIGTERM.
  const dir = mkdtempSync(join(tmpdir(), 'corral-signal-'));
  const counter = join(dir, 'counter.sh');
  writeFileSync(
    counter,
    "n=0; trap 'n=$((n+1))' USR1; trap 'echo $n; exit 0' TERM; echo ready; while :; do sleep 0.05 & wait $!; done\n",
  );
  try {
    const tree = await spawn('sh', ['-c', `sh ${counter} & sh -c 'setsid sh ${counter} &'; . ${counter}`], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    tree.stdout?.on('data', (d) => (out += d));
    await waitFor(() => out.split('ready').length - 1 === 3, { what: 'three shells to set their traps' });
    // And the setsid() shell's parent gone (it is the reaper's child now): a member orphaned in the
    // very clock tick of the request is taken for new and left alone (docs: the late-orphan rule).
    const reaperChildren = `/proc/${tree.reaperPid}/task/${tree.reaperPid}/children`;
    await waitFor(() => readFileSync(reaperChildren, 'utf8').trim().split(' ').length === 2, {
      what: 'the setsid() shell to come back to the reaper',
    });
    tree.signal('SIGUSR1');
    await tree.kill('SIGTERM');
    const counts = out.replaceAll('ready\n', '').trim().split('\n');
    assert.deepEqual(counts, ['1', '1', '1'], 'each shell got SIGUSR1 once');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("foreground keeps main in the caller's process group; by default it leads its own", async () => {
  const pgidOf = 'read -r pid comm state ppid pgrp rest < /proc/$$/stat; echo $pgrp';
  const own = await run('sh', ['-c', pgidOf]);
  const fg = await run('sh', ['-c', pgidOf], { foreground: true });
  const ours = Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ')[2]);
  assert.equal(Number(own.stdout), own.pid);
  assert.equal(Number(fg.stdout), ours);
});

test('cwd and env reach the command', async () => {
  const result = await run('sh', ['-c', 'pwd; echo "$GREETING"'], {
    cwd: '/tmp',
    env: { PATH: process.env.PATH, GREETING: 'hi' },
  });
  assert.equal(result.stdout, '/tmp\nhi\n');
});

test("a stop signal does not reach the clean-up job a member's trap starts", async () => {
  // Main traps TERM by starting a clean-up job and exiting; 100 sleeping siblings make the pass
  // long enough for the trap to run while it is still going.
  const dir = mkdtempSync(join(tmpdir(), 'corral-cleanup-'));
  const cleanup = join(dir, 'cleanup.sh');
  writeFileSync(cleanup, "trap 'echo cleanup-got-TERM' TERM; sleep 0.3; echo cleanup-done\n");
  try {
    const script = `i=0; while [ $i -lt 100 ]; do sleep 100 & i=$((i+1)); done; trap 'sh ${cleanup} & exit 0' TERM; echo ready; while :; do sleep 0.05 & wait $!; done`;
    const tree = await spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'], killAfter: '5s' });
    let out = '';
    tree.stdout?.on('data', (d) => (out += d));
    await waitFor(() => out.includes('ready'), { what: 'main to set its trap' });
    await tree.kill('SIGTERM');
    assert.equal(out, 'ready\ncleanup-done\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
