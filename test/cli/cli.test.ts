// corral run / corral timeout from a shell's point of view: statuses, messages, signals, leftovers.
import assert from 'node:assert/strict';
import { spawn as spawnChild } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  autoLevel,
  expectAllGone,
  fixture,
  readReport,
  repoRoot,
  reportedAtLeast,
  reportFile,
  safeCleanup,
  waitFor,
} from '../helpers/index.js';

const corral = join(repoRoot, 'bin', 'corral');

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a shell command line (so `$?` is the shell's view of corral's status); bounded. */
function sh(line: string, env: Record<string, string> = {}, onStart?: (pid: number) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawnChild('sh', ['-c', line], { env: { ...process.env, CORRAL: corral, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hang guard: ${line}`));
    }, 30_000);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(guard);
      resolve({ status, signal, stdout, stderr });
    });
    if (child.pid) onStart?.(child.pid);
  });
}

const statusOf = async (line: string): Promise<number> =>
  Number((await sh(`${line}; echo "status=$?"`)).stdout.match(/status=(\d+)/)?.[1]);

test('exit statuses follow GNU timeout', async () => {
  const table: [string, number][] = [
    ['"$CORRAL" run -- true', 0],
    ['"$CORRAL" run -- sh -c "exit 7"', 7],
    ['"$CORRAL" run -- sh -c \'kill -TERM $$\'', 143],
    ['"$CORRAL" run -- sh -c \'kill -USR1 $$\'', 138],
    ['"$CORRAL" run -- sh -c \'kill -40 $$\'', 168], // a real-time signal: Node has no name for it
    ['"$CORRAL" run -- sh -c \'kill -35 $PPID; sleep 0.2; exit 3\'', 3], // a fake "controller gone" from the tree is ignored
    ['"$CORRAL" run -- no-such-command-xyz', 127],
    ['"$CORRAL" run -- /etc/passwd', 126],
    ['"$CORRAL" run --timeout nope -- true', 125],
    ['"$CORRAL" run', 125],
    ['"$CORRAL" frobnicate', 125],
    ['"$CORRAL" run --timeout 0.2 -- sleep 10', 124],
    ['"$CORRAL" timeout 0.2 sleep 10', 124],
    ['"$CORRAL" timeout 0 sh -c "exit 3"', 3],
    ['"$CORRAL" timeout --preserve-status 0.2 sleep 10', 143],
    ['"$CORRAL" timeout -s KILL 0.2 sleep 10', 137],
    ['"$CORRAL" timeout -k 0.2 0.2 sh -c \'trap "" TERM; sleep 10\'', 137],
    ['"$CORRAL" timeout 0.2 sh -c \'trap "exit 0" TERM; sleep 10 & wait\'', 124],
    ['"$CORRAL" timeout 5 no-such-command-xyz', 127],
    ['"$CORRAL" timeout x sleep 1', 125],
    ['"$CORRAL" timeout -s NOPE 1 sleep 1', 125],
    ['"$CORRAL" timeout 1', 125],
  ];
  for (const [line, expected] of table) assert.equal(await statusOf(line), expected, line);
});

test('corral timeout exits as GNU timeout does on the same cases', async () => {
  const cases = [
    '0.2 sleep 10',
    '--preserve-status 0.2 sleep 10',
    '-s INT 0.2 sleep 10',
    '-k 0.2 0.2 sh -c \'trap "" TERM; sleep 10\'',
    '5 sh -c "exit 42"',
    '5 no-such-command-xyz',
    '5 /etc/passwd',
    'bogus sleep 1',
    '--signal=HUP 0.1s sleep 10',
  ];
  for (const args of cases) {
    assert.equal(await statusOf(`"$CORRAL" timeout ${args}`), await statusOf(`timeout ${args}`), args);
  }
});

test('errors are one line plus a hint, never a stack trace', async () => {
  const notFound = await sh('"$CORRAL" run -- no-such-command-xyz');
  assert.equal(
    notFound.stderr,
    'corral: command not found: no-such-command-xyz\nhint: check the spelling, or that its directory is on PATH\n',
  );
  const badDuration = await sh('"$CORRAL" timeout 5q sleep 1');
  assert.equal(
    badDuration.stderr,
    "corral: invalid time interval '5q'\nhint: use a number with an optional s, m, h or d suffix, e.g. 10, 1.5m, 2h; 0 disables the timeout\n",
  );
  const badOption = await sh('"$CORRAL" run --timeout=-1 -- true');
  assert.match(
    badOption.stderr,
    /^corral: Expected `timeout` to be a non-negative duration, got `-1`\. Use e\.g\. 30s/,
  );
  const unknown = await sh('"$CORRAL" run --frob -- true');
  assert.match(unknown.stderr, /^corral: Unknown option '--frob'\nhint: /);
  for (const r of [notFound, badDuration, badOption, unknown]) assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('--json prints the whole result; -v prints a summary naming the level', async () => {
  const r = await sh('"$CORRAL" run --json -v -- sh -c "exit 5"');
  const result = JSON.parse(r.stdout);
  assert.equal(result.exitCode, 5);
  assert.equal(result.level, autoLevel());
  assert.equal(result.timedOut, false);
  assert.deepEqual(Object.keys(result.totals).sort(), [
    'cpuSystemMs',
    'cpuUserMs',
    'peakProcesses',
    'peakRssKiB',
    'processes',
  ]);
  assert.match(r.stderr, new RegExp(`^corral: tree [0-9a-f]{8} done: main exited 5, .* level ${autoLevel()}\n$`));
});

test('timeout -v names each signal it sends, as GNU timeout', async () => {
  const r = await sh('"$CORRAL" timeout -v -k 0.2 0.2 sh -c \'trap "" TERM; sleep 10\'');
  assert.equal(r.stderr, "corral: sending signal TERM to command 'sh'\ncorral: sending signal KILL to command 'sh'\n");
});

test('a signal the caller ignored (nohup) stays ignored in the command', async () => {
  const ignored = await sh(`trap '' HUP; exec "$CORRAL" run -- ${fixture('print-sigs')}`);
  const plain = await sh(`exec "$CORRAL" run -- ${fixture('print-sigs')}`);
  const mask = (text: string) => BigInt(`0x${text.match(/SigIgn:\s*([0-9a-f]+)/)?.[1] ?? 'x'}`);
  assert.equal(mask(ignored.stdout) & 1n, 1n, 'SIGHUP ignored under trap');
  assert.equal(mask(plain.stdout), 0n, 'nothing ignored otherwise, not even what glibc or node reserve');
  assert.match(plain.stdout, /SigBlk:\s*0+\n/, 'and nothing blocked');
});

test('the command gets no file descriptor of corral or its reaper: exactly what its caller had', async () => {
  const direct = await sh(fixture('print-fds'));
  const wrapped = await sh(`"$CORRAL" run -- ${fixture('print-fds')}`);
  assert.ok(direct.stdout.startsWith('0\n1\n2\n'), direct.stdout);
  assert.equal(wrapped.stdout, direct.stdout);
});

test('SIGINT to corral (Ctrl-C) stops the whole tree, setsid() escapees included, and corral dies of SIGINT', async () => {
  const report = reportFile();
  let pid = 0;
  try {
    const running = sh(`exec "$CORRAL" run -- ${fixture('double-fork')}`, { CORRAL_TEST_REPORT: report.path }, (p) => {
      pid = p;
    });
    const procs = await waitFor(reportedAtLeast(report.path, 2), { what: 'double-fork to report main and daemon' });
    process.kill(pid, 'SIGINT'); // our own unreaped child: its pid cannot have been reused
    const r = await running;
    assert.equal(r.signal, 'SIGINT');
    expectAllGone(procs);
  } finally {
    await safeCleanup(readReport(report.path));
    report.cleanup();
  }
});

test('leftovers are stopped when the command exits: a grandchild holding stdout does not hang the caller', async () => {
  const report = reportFile();
  try {
    const r = await sh(`"$CORRAL" run -- ${fixture('hold-stdout')} | cat; echo "status=$?"`, {
      CORRAL_TEST_REPORT: report.path,
    });
    assert.match(r.stdout, /status=0/);
    expectAllGone(readReport(report.path), 'hold-stdout tree');
  } finally {
    await safeCleanup(readReport(report.path));
    report.cleanup();
  }
});

test('--wait waits for leftovers, still bounded by --timeout', async () => {
  const late = '(sleep 0.2; echo finished) & exit 0';
  const waited = await sh(`"$CORRAL" run --wait -- sh -c '${late}'`);
  assert.equal(waited.stdout, 'finished\n', 'the background job ran to its end');
  const stopped = await sh(`"$CORRAL" run -- sh -c '${late}'`);
  assert.equal(stopped.stdout, '', 'without --wait the leftover is stopped');
  assert.equal(await statusOf('"$CORRAL" run --wait --timeout 0.3 -- sh -c "sleep 100 & exit 0"'), 124);
});

test('Ctrl-C in a real terminal stops the whole tree, setsid() daemon included', async () => {
  // script(1) gives corral a pty; a ^C byte written to it becomes SIGINT for the foreground job.
  const report = reportFile();
  try {
    const child = spawnChild('script', ['-qefc', `${corral} run -- ${fixture('double-fork')}`, '/dev/null'], {
      env: { ...process.env, CORRAL_TEST_REPORT: report.path },
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const procs = await waitFor(reportedAtLeast(report.path, 3), {
      what: 'double-fork to report main, middle and daemon',
    });
    child.stdin.write('\x03');
    assert.equal(await closed, 130, 'corral died of SIGINT, as the shell reports it');
    expectAllGone(procs);
  } finally {
    await safeCleanup(readReport(report.path));
    report.cleanup();
  }
});

test('SIGUSR1 and SIGWINCH sent to corral reach the command; SIGTERM then stops it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-fwd-'));
  const log = join(dir, 'log');
  const script = join(dir, 'main.sh');
  writeFileSync(log, '');
  writeFileSync(
    script,
    `trap 'echo usr1 >> ${log}' USR1; trap 'echo winch >> ${log}' WINCH; trap 'echo term >> ${log}; exit 0' TERM\n` +
      `echo ready >> ${log}; while :; do sleep 0.05 & wait $!; done\n`,
  );
  const seen = (word: string) => () => readFileSync(log, 'utf8').split('\n').includes(word);
  try {
    let pid = 0;
    const running = sh(`exec "$CORRAL" run -- sh ${script}`, {}, (p) => {
      pid = p;
    });
    await waitFor(seen('ready'), { what: 'the command to set its traps' });
    process.kill(pid, 'SIGUSR1'); // our own unreaped child
    await waitFor(seen('usr1'), { what: 'SIGUSR1 to be forwarded' });
    process.kill(pid, 'SIGWINCH');
    await waitFor(seen('winch'), { what: 'SIGWINCH to be forwarded' });
    process.kill(pid, 'SIGTERM');
    const r = await running;
    assert.equal(readFileSync(log, 'utf8'), 'ready\nusr1\nwinch\nterm\n');
    assert.equal(r.status, 0, 'main handled SIGTERM and exited 0');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
