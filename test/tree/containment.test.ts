// The core contract: each escape-prone tree is gone — zero processes, zero zombies — when kill()
// resolves, when the timeout fires, and when the controlling Node process is SIGKILLed.
import assert from 'node:assert/strict';
import { spawn as spawnChild } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type Level, run, type SpawnOptions, spawn, type TreeResult } from '../../dist/index.js';
import {
  expectAllGone,
  fixture,
  type Proc,
  readReport,
  readStat,
  repoRoot,
  reportedAtLeast,
  reportFile,
  safeCleanup,
  waitFor,
  withPidsLimit,
} from '../helpers/index.js';

interface Shape {
  name: string;
  fixture: string;
  args?: string[];
  /** Reports to wait for before stopping: the tree has taken its shape. */
  reports: number;
  /** Fork-heavy: runs inside a pids limit. */
  limit?: number;
}

const shapes: Shape[] = [
  { name: 'a plain child', fixture: 'forever', reports: 1 },
  { name: 'a 50-deep chain', fixture: 'chain', args: ['50'], reports: 50 },
  { name: 'a double-fork daemon (fork, setsid, fork, parent exits)', fixture: 'double-fork', reports: 3 },
  { name: 'a process in a new session and process group', fixture: 'new-session', reports: 2 },
  { name: 'processes ignoring SIGTERM', fixture: 'ignore-term', reports: 2 },
  { name: 'a SIGSTOPped process', fixture: 'self-stop', reports: 2 },
  { name: 'a detached grandchild holding stdout', fixture: 'hold-stdout', reports: 3 },
  { name: 'a process that re-execs itself repeatedly', fixture: 'reexec', args: ['20'], reports: 21 },
  { name: 'a subreaper that orphans children onto itself', fixture: 'subreaper-orphans', args: ['5'], reports: 11 },
  { name: 'a multithreaded process forking from a thread', fixture: 'threads', args: ['4'], reports: 2 },
  { name: 'a zombie factory', fixture: 'zombie-factory', args: ['20'], reports: 41 },
  { name: 'a fork storm', fixture: 'fork-storm', reports: 40, limit: 120 },
];

const grace = 200; // ms before SIGKILL: ignore-term must get there, the rest die of SIGTERM

async function withShape<T>(shape: Shape, fn: (env: Record<string, string>, report: string) => Promise<T>): Promise<T> {
  const report = reportFile();
  const run = (limitEnv: Record<string, string>) =>
    fn({ ...process.env, ...limitEnv, CORRAL_TEST_REPORT: report.path } as Record<string, string>, report.path);
  try {
    return shape.limit ? await withPidsLimit(shape.limit, (limit) => run(limit.env)) : await run({});
  } finally {
    await safeCleanup(readReport(report.path));
    report.cleanup();
  }
}

async function start(shape: Shape, env: Record<string, string>, report: string, options: SpawnOptions = {}) {
  // leftovers: 'wait', so that what is tested (kill, timeout, controller death) is what ends the tree.
  const tree = await spawn(fixture(shape.fixture), shape.args ?? [], {
    stdio: 'ignore',
    env,
    killAfter: grace,
    leftovers: 'wait',
    ...options,
  });
  const procs = await waitFor(reportedAtLeast(report, shape.reports), {
    what: `${shape.name}: ${shape.reports} reports`,
  });
  return { tree, procs };
}

function assertGone(result: TreeResult, report: string, shape: Shape, level: Level): void {
  expectAllGone(readReport(report), shape.name);
  assert.equal(result.level, level);
}

// Both levels that see the tree from outside its namespaces: the same shapes, the same verdict.
// (The sandbox has its own tests: inside it, the fixtures' reported pids are the namespace's.)
const levels: Level[] = process.geteuid?.() === 0 ? ['track', 'cgroup'] : ['track'];

describe('kill() resolves only once the whole tree is gone', () => {
  for (const level of levels)
    for (const shape of shapes) {
      test(`${level}: kill() ends ${shape.name}`, () =>
        withShape(shape, async (env, report) => {
          const { tree } = await start(shape, env, report, { level });
          const result = await tree.kill();
          assertGone(result, report, shape, level);
          assert.equal(result.killed || result.exitCode === 0, true, 'killed, or main had exited (hold-stdout)');
          assert.deepEqual(tree.pids(), []);
        }));
    }
});

describe('the timeout stops the whole tree', () => {
  for (const level of levels)
    for (const shape of shapes) {
      test(`${level}: timeout ends ${shape.name}`, () =>
        withShape(shape, async (env, report) => {
          // The timeout is armed at start; the tree has taken shape long before it fires (hang-guarded).
          const tree = await spawn(fixture(shape.fixture), shape.args ?? [], {
            stdio: 'ignore',
            env,
            timeout: 1000,
            killAfter: grace,
            leftovers: 'wait',
            level,
          });
          await waitFor(reportedAtLeast(report, shape.reports), { what: `${shape.name}: ${shape.reports} reports` });
          const result = await tree.done;
          assertGone(result, report, shape, level);
          assert.equal(result.timedOut, true);
        }));
    }
});

describe('the tree dies with its controller, even by SIGKILL', () => {
  for (const shape of shapes) {
    test(`SIGKILL of the controller ends ${shape.name}`, () =>
      withShape(shape, async (env, report) => {
        const controller = spawnChild(
          process.execPath,
          [join(repoRoot, 'dist-test/scenarios/controller.js'), fixture(shape.fixture), ...(shape.args ?? [])],
          {
            env,
            stdio: ['ignore', 'pipe', 'inherit'],
          },
        );
        try {
          let out = '';
          controller.stdout.on('data', (d) => (out += d));
          const reaperPid = await waitFor(() => Number(/^reaper (\d+)$/m.exec(out)?.[1]), {
            what: 'the controller to print its reaper',
          });
          const reaperStat = readStat(reaperPid);
          assert.ok(reaperStat, 'the reaper is running');
          const reaper: Proc = { pid: reaperPid, start: reaperStat.start };
          await waitFor(reportedAtLeast(report, shape.reports), { what: `${shape.name}: ${shape.reports} reports` });
          controller.kill('SIGKILL'); // our own unreaped child
          await waitFor(() => readReport(report).every((p) => readStat(p.pid)?.start !== p.start), {
            what: `${shape.name} to be gone after its controller died`,
          });
          await waitFor(() => readStat(reaper.pid)?.start !== reaper.start || readStat(reaper.pid)?.state === 'Z', {
            what: 'the reaper to exit',
          });
          expectAllGone(readReport(report), shape.name);
        } finally {
          controller.kill('SIGKILL');
        }
      }));
  }
});

test('done resolves only when the last descendant is gone, not when main exits', async () => {
  const tree = await spawn('sh', ['-c', '(sleep 0.3; echo late) & echo early'], { leftovers: 'wait' });
  let out = '';
  tree.stdout?.on('data', (d) => (out += d));
  const exit = await tree.exited;
  assert.equal(exit.exitCode, 0);
  assert.ok(tree.pids().length > 0, 'the background job outlives main');
  const result = await tree.done;
  assert.equal(out, 'early\nlate\n');
  assert.deepEqual(tree.pids(), []);
  assert.equal(result.leftovers, 0);
});

test("main's exit status is reported exactly", async () => {
  for (const code of [0, 1, 2, 42, 125, 126, 127, 128, 255]) {
    const tree = await spawn(fixture('exit-code'), [String(code)], { stdio: 'ignore' });
    const result = await tree.done;
    assert.equal(result.exitCode, code);
    assert.equal(result.signal, null);
  }
  const killed = await (await spawn('sh', ['-c', 'kill -USR2 $$'], { stdio: 'ignore' })).done;
  assert.deepEqual([killed.exitCode, killed.signal, killed.killed], [null, 'SIGUSR2', false]);
});

test('totals add up the CPU of every process in the tree, orphans included', async () => {
  // 4 processes burn 150 ms of CPU each: 600 ms in all, double-forked ones too.
  const burn = fixture('burn-cpu');
  const tree = await spawn('sh', ['-c', `(${burn} 150 2 &); (setsid ${burn} 150 2 &)`], {
    stdio: 'ignore',
    leftovers: 'wait',
  });
  const result = await tree.done;
  const cpu = result.totals.cpuUserMs + result.totals.cpuSystemMs;
  assert.ok(cpu >= 600, `at least the 600 ms burnt, got ${cpu}`);
  assert.ok(cpu < 600 * 1.5, `and not much more than the burn plus start-up, got ${cpu}`);
  assert.ok(result.totals.processes >= 3, 'main and the orphans it left were reaped by the reaper');
  assert.ok(result.totals.peakRssKiB > 0);
});

test('run() returns when main exits even though a detached grandchild holds its stdout (the CI hang)', () =>
  withShape({ name: 'hold-stdout', fixture: 'hold-stdout', reports: 1 }, async (env, report) => {
    const result = await run(fixture('hold-stdout'), [], { env });
    assert.equal(result.exitCode, 0);
    assert.ok(result.leftovers >= 1, 'the grandchild was left behind, and stopped');
    expectAllGone(readReport(report), 'hold-stdout');
  }));

test('500 wide: killed whole, nothing left', () =>
  withShape({ name: '500 wide', fixture: 'wide', args: ['500'], reports: 501 }, async (env, report) => {
    const { tree } = await start({ name: '500 wide', fixture: 'wide', args: ['500'], reports: 501 }, env, report);
    assert.equal(tree.pids().length, 501);
    const result = await tree.kill('SIGKILL');
    expectAllGone(readReport(report), '500 wide');
    assert.ok(result.totals.peakProcesses >= 501);
  }));
