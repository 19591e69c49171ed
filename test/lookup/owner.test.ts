// ownerOf(pid): the corral that owns a process, read from /proc with no daemon — for main, a deep
// descendant, an escaped daemon, a nested corral, the reaper itself; null for everything else.
// Answers are cached, so the cache is tested where it can go wrong: a pid that exited, and a pid
// handed to a stranger. The latter runs as init of a fresh user+pid namespace, where the next pid
// can be chosen (ns_last_pid): this same file, re-run with CORRAL_TEST_LOOKUP_SCENARIO set.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn as spawnChild } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type CorralRef, ownerOf, type SpawnOptions, spawn, type Tree } from '../../dist/index.js';
import {
  autoLevel,
  bounded,
  descendantsOf,
  fixture,
  isAlive,
  killVerified,
  type Proc,
  readReport,
  readStat,
  repoRoot,
  reportedAtLeast,
  reportFile,
  safeCleanup,
  startReported,
  waitFor,
} from '../helpers/index.js';

const scenarioMode = process.env.CORRAL_TEST_LOOKUP_SCENARIO;

// ---- helpers ------------------------------------------------------------------------------

interface Started {
  tree: Tree;
  procs: Proc[];
  report: string;
}

/**
 * Spawns a fixture as a corral once `reports` processes have reported; registers, before
 * anything exists, the clean-up that kills the tree and whatever it reported, even on failure.
 */
function start(
  t: TestContext,
  name: string,
  args: string[],
  reports: number,
  options: SpawnOptions = {},
): Promise<Started> {
  return startReported(t, fixture(name), args, reports, options);
}

/** What ownerOf should say about a corral: its reaper's /proc entry, read by the test. */
function refOf(tree: Tree, command: string[]): CorralRef {
  const reaper = readStat(tree.reaperPid);
  assert.ok(reaper, 'the reaper runs');
  return {
    id: tree.id,
    name: tree.name,
    level: tree.level,
    ...(tree.cgroup ? { cgroup: tree.cgroup } : {}),
    reaperPid: tree.reaperPid,
    reaperStart: reaper.start,
    pid: tree.pid,
    command,
  };
}

function comm(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trimEnd();
  } catch {
    return null;
  }
}

/** Whether a corral-reaper is among pid's ancestors (read by the test, not the library). */
function insideACorral(pid: number): boolean {
  for (let p = readStat(pid)?.ppid ?? 0; p > 1; p = readStat(p)?.ppid ?? 0)
    if (comm(p) === 'corral-reaper') return true;
  return false;
}

/**
 * A corral whose main is a Node process that starts a second corral (`inner`) running
 * `file args` and prints that handle's id and reaper pid: a corral nested inside another.
 */
async function startNested(t: TestContext, name: string, file: string, args: string[], reports: number) {
  const report = reportFile();
  let outer: Tree | undefined;
  t.after(async () => {
    if (outer) await bounded(outer.kill('SIGKILL'), 10_000, 'the clean-up kill').catch(() => {});
    await safeCleanup(readReport(report.path));
    report.cleanup();
  });
  const script = [
    'const { spawn } = await import(process.argv[1]);',
    "const inner = await spawn(process.argv[2], process.argv.slice(3), { stdio: 'ignore', name: process.env.INNER_NAME });",
    'process.stdout.write("inner " + inner.id + " " + inner.reaperPid + "\\n");',
    'await inner.done;',
  ].join('\n');
  const index = pathToFileURL(join(repoRoot, 'dist/index.js')).href;
  const command = [process.execPath, '--input-type=module', '-e', script, index, file, ...args];
  outer = await spawn(process.execPath, command.slice(1), {
    stdio: ['ignore', 'pipe', 'inherit'],
    leftovers: 'wait',
    name: `${name}-outer`,
    env: { ...process.env, CORRAL_TEST_REPORT: report.path, INNER_NAME: name },
  });
  let out = '';
  outer.stdout?.on('data', (d) => (out += d));
  const [, innerId = '', innerReaper = ''] = await waitFor(() => /^inner (\w+) (\d+)$/m.exec(out), {
    what: 'the nested corral to start',
  });
  const procs = await waitFor(reportedAtLeast(report.path, reports), { what: `${reports} reports from ${file}` });
  return { outer, command, innerId, innerReaperPid: Number(innerReaper), procs };
}

// ---- the pid-reuse scenario (runs as init of a fresh user+pid namespace) --------------------

interface ReuseVerdict {
  mode: 'later-tick' | 'same-tick';
  /** Rounds in which a stranger got exactly the pid a member had just freed. */
  reused: number;
  /** ... after ownerOf had answered (and cached) the member's corral for that pid. */
  primed: number;
  /** ... and the stranger's start time equals the member's (both born in one 10 ms clock tick). */
  sameTick: number;
  /** Strangers that ownerOf reported as owned: must be 0. */
  owned: number;
  /** Of those, how many had the member's start time. */
  ownedSameTick: number;
}

/** waitFor without its back-off: the scenario races the 10 ms clock tick. */
async function spin<T>(condition: () => T, what: string, bound = 5000): Promise<NonNullable<T>> {
  for (const deadline = Date.now() + bound; ; await yieldToLoop()) {
    const value = condition();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what} (hang guard: ${bound} ms)`);
  }
}

async function reuseScenario(mode: ReuseVerdict['mode'], rounds: number): Promise<ReuseVerdict> {
  const report = reportFile();
  const strangers: ChildProcess[] = [];
  // Each line on stdin makes one member: a subshell starts `forever` in the background and exits,
  // so the member is orphaned onto the reaper, which reaps it the moment it dies.
  const tree = await spawn('sh', ['-c', `while read line; do (${fixture('forever')} &); done`], {
    stdio: ['pipe', 'ignore', 'inherit'],
    leftovers: 'wait',
    env: { ...process.env, CORRAL_TEST_REPORT: report.path },
  });
  const verdict: ReuseVerdict = { mode, reused: 0, primed: 0, sameTick: 0, owned: 0, ownedSameTick: 0 };
  try {
    // Same-tick rounds are the ones that matter there, and load makes them rarer: stop at the fifth, or at `rounds`.
    for (let round = 0; round < rounds && !(mode === 'same-tick' && verdict.sameTick >= 5); round++) {
      const before = readReport(report.path).length;
      tree.stdin?.write('member\n');
      const member = (await spin(reportedAtLeast(report.path, before + 1), 'a new member'))[before];
      assert.ok(member);
      // Once its subshell is gone, its parent is the reaper: the walk cannot race a dying parent.
      await spin(() => readStat(member.pid)?.ppid === tree.reaperPid, 'the member to be orphaned onto the reaper');
      const primed = ownerOf(member.pid)?.corral.id === tree.id;
      killVerified([member]);
      await spin(() => readStat(member.pid) === null, 'the member to be reaped');
      if (mode === 'later-tick') {
        // Start times count 10 ms ticks: wait until now is a later tick than the member's birth.
        await waitFor(() => Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100 >= member.start + 2, {
          what: 'the clock to pass the next tick',
        });
      }
      writeFileSync('/proc/sys/kernel/ns_last_pid', String(member.pid - 1));
      const stranger = spawnChild(fixture('forever'), [], { stdio: 'ignore', env: {} });
      strangers.push(stranger);
      if (stranger.pid !== member.pid) continue; // someone else forked first and took it
      const stat = readStat(stranger.pid);
      assert.ok(stat && stat.ppid === process.pid, 'the stranger is our child: outside every corral');
      verdict.reused++;
      if (primed) verdict.primed++;
      const sameTick = stat.start === member.start;
      if (sameTick) verdict.sameTick++;
      if (ownerOf(stranger.pid) !== null) {
        verdict.owned++;
        if (sameTick) verdict.ownedSameTick++;
      }
      stranger.kill('SIGKILL'); // our own unreaped child: its pid is still its own
    }
  } finally {
    for (const s of strangers) s.kill('SIGKILL');
    await bounded(tree.kill('SIGKILL'), 10_000, 'the scenario tree kill');
    report.cleanup();
  }
  return verdict;
}

// The scenario is a plain script, not a child of this test runner.
const { NODE_TEST_CONTEXT: _runner, ...runnerFree } = process.env;

/** Runs the scenario as init of a new user+pid namespace (everything in it dies with it). */
function inNamespace(mode: ReuseVerdict['mode'], rounds: number): Promise<ReuseVerdict> {
  return new Promise((resolve, reject) => {
    const child = spawnChild(
      'unshare',
      [
        '--user',
        '--map-root-user',
        '--pid',
        '--fork',
        '--kill-child', // SIGKILL of unshare kills the namespace's init, so the hang guard is a clean-up too
        '--mount-proc',
        process.execPath,
        fileURLToPath(import.meta.url),
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...runnerFree, CORRAL_TEST_LOOKUP_SCENARIO: `${mode}:${rounds}` },
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      const line = /^verdict (.*)$/m.exec(out)?.[1];
      if (line) resolve(JSON.parse(line) as ReuseVerdict);
      else reject(new Error(`the pid-reuse scenario (${mode}) ended (${code ?? signal}) without a verdict: ${out}`));
    });
  });
}

if (scenarioMode !== undefined) {
  const [mode, rounds] = scenarioMode.split(':');
  const verdict = await reuseScenario(mode as ReuseVerdict['mode'], Number(rounds));
  process.stdout.write(`verdict ${JSON.stringify(verdict)}\n`);
  process.exit(0); // as the namespace's init: everything left in it dies now
}

// ---- the tests --------------------------------------------------------------------------------

test("ownerOf(main's pid) names its corral, with the path main → reaper", async (t) => {
  const { tree, procs } = await start(t, 'forever', [], 1, { name: 'owner-main' });
  const main = procs[0];
  assert.ok(main);
  assert.equal(main.pid, tree.pid);
  assert.deepEqual(ownerOf(main.pid), {
    corral: refOf(tree, [fixture('forever')]),
    parents: [],
    path: [main.pid, tree.reaperPid],
    isReaper: false,
  });
});

test('ownerOf a process 20 levels deep names the corral, with the whole chain in path', async (t) => {
  const { tree, procs } = await start(t, 'chain', ['20'], 20);
  const deepest = procs[19];
  assert.ok(deepest);
  const owner = ownerOf(deepest.pid);
  assert.deepEqual(owner, {
    corral: refOf(tree, [fixture('chain'), '20']),
    parents: [],
    path: [...procs.map((p) => p.pid).reverse(), tree.reaperPid],
    isReaper: false,
  });
  assert.deepEqual(ownerOf(deepest.pid), owner, 'asked again (the cached answer): the same');
});

test('ownerOf a double-forked daemon whose parent has exited names the corral it escaped into', async (t) => {
  const { tree, procs } = await start(t, 'double-fork', [], 3);
  const [main, middle, daemon] = procs;
  assert.ok(main && middle && daemon);
  await waitFor(() => !isAlive(middle), { what: 'the middle to exit' });
  assert.equal(readStat(daemon.pid)?.ppid, tree.reaperPid, 'the daemon was re-parented to the reaper');
  assert.ok(!descendantsOf(main).some((p) => p.pid === daemon.pid), 'it is not under main any more');
  assert.deepEqual(ownerOf(daemon.pid), {
    corral: refOf(tree, [fixture('double-fork')]),
    parents: [],
    path: [daemon.pid, tree.reaperPid],
    isReaper: false,
  });
});

test('negative control: the same daemon started with child_process belongs to no corral', async (t) => {
  const report = reportFile();
  t.after(async () => {
    await safeCleanup(readReport(report.path));
    report.cleanup();
  });
  const child = spawnChild(fixture('double-fork'), [], {
    stdio: 'ignore',
    env: { ...process.env, CORRAL_TEST_REPORT: report.path },
  });
  t.after(() => {
    child.kill('SIGKILL'); // our own child: until we reap it, its pid is its own
  });
  const [main, middle, daemon] = await waitFor(reportedAtLeast(report.path, 3), { what: '3 reports' });
  assert.ok(main && middle && daemon);
  await waitFor(() => !isAlive(middle), { what: 'the middle to exit' });
  assert.ok(isAlive(daemon), 'the daemon runs');
  assert.equal(ownerOf(daemon.pid), null);
  assert.equal(ownerOf(main.pid), null);
});

test('ownerOf a process of a nested corral names the innermost corral, the enclosing one in parents', async (t) => {
  const name = `owner-inner-${process.pid}`;
  const { outer, command, innerId, innerReaperPid, procs } = await startNested(t, name, fixture('chain'), ['3'], 3);
  const [top, , deepest] = procs;
  assert.ok(top && deepest);
  const innerStart = readStat(innerReaperPid)?.start;
  assert.ok(innerStart !== undefined, 'the inner reaper runs');
  const level = autoLevel();
  const inner: CorralRef = {
    id: innerId,
    name,
    level,
    // A corral's group nests inside the enclosing corral's: the outer cgroup.kill reaches it too.
    ...(level === 'cgroup' ? { cgroup: join(outer.cgroup ?? '?', `corral-${innerId}`) } : {}),
    reaperPid: innerReaperPid,
    reaperStart: innerStart,
    pid: top.pid,
    command: [fixture('chain'), '3'],
  };
  const enclosing = refOf(outer, command);
  assert.deepEqual(ownerOf(deepest.pid), {
    corral: inner,
    parents: [enclosing],
    path: [...procs.map((p) => p.pid).reverse(), innerReaperPid],
    isReaper: false,
  });
  // The inner reaper itself: its own corral's, which sits inside the outer one.
  assert.deepEqual(ownerOf(innerReaperPid), {
    corral: inner,
    parents: [enclosing],
    path: [innerReaperPid],
    isReaper: true,
  });
});

test('ownerOf(a reaper) is its own corral, with isReaper and the path [reaper]', async (t) => {
  const { tree } = await start(t, 'forever', [], 1);
  assert.deepEqual(ownerOf(tree.reaperPid), {
    corral: refOf(tree, [fixture('forever')]),
    parents: [],
    path: [tree.reaperPid],
    isReaper: true,
  });
});

test('ownerOf is null for processes outside every corral: the test process and pid 1', {
  skip: insideACorral(process.pid) && 'the test runner itself runs inside a corral',
}, async (t) => {
  // A corral exists meanwhile, so "null" is not merely "no corral anywhere".
  await start(t, 'forever', [], 1);
  assert.equal(ownerOf(process.pid), null);
  assert.equal(ownerOf(1), null);
});

test('ownerOf is null for a pid that has just exited, though it was owned (and cached) a moment ago', async (t) => {
  const { tree, procs } = await start(t, 'double-fork', [], 3);
  const [, middle, daemon] = procs;
  assert.ok(middle && daemon);
  await waitFor(() => !isAlive(middle), { what: 'the middle to exit' });
  assert.equal(ownerOf(daemon.pid)?.corral.id, tree.id, 'owned while it runs');
  assert.deepEqual(
    killVerified([daemon]).map((p) => p.pid),
    [daemon.pid],
  );
  // Its parent is the reaper, which reaps it at once: then the pid names nothing.
  await waitFor(() => readStat(daemon.pid) === null, { what: 'the daemon to be reaped' });
  assert.equal(ownerOf(daemon.pid), null);
  assert.equal(ownerOf(tree.pid)?.corral.id, tree.id, 'the rest of the tree is still owned');
});

test('ownerOf stays right after a member of the path exits: path is re-walked, not served stale', {}, async (t) => {
  const { tree, procs } = await start(t, 'chain', ['3'], 3);
  const [top, middle, bottom] = procs;
  assert.ok(top && middle && bottom);
  assert.deepEqual(ownerOf(bottom.pid)?.path, [bottom.pid, middle.pid, top.pid, tree.reaperPid]);
  killVerified([middle]); // the bottom is re-parented to the reaper (the middle stays top's zombie)
  await waitFor(() => readStat(bottom.pid)?.ppid === tree.reaperPid, { what: 'the bottom to be re-parented' });
  assert.deepEqual(ownerOf(bottom.pid)?.path, [bottom.pid, tree.reaperPid]);
});

test('a pid freed by a member and taken by a stranger on a later clock tick is not reported as owned', async () => {
  const verdict = await inNamespace('later-tick', 20);
  assert.ok(verdict.reused >= 15, `at least 15 freed pids went to strangers, got ${verdict.reused}`);
  assert.equal(verdict.primed, verdict.reused, 'each of those pids had been looked up (and cached) as owned');
  assert.equal(verdict.sameTick, 0, 'every stranger started on a later tick');
  assert.equal(verdict.owned, 0, 'no stranger was reported as owned');
});

test('a pid freed by a member and taken by a stranger within the same clock tick is not reported as owned', {}, async () => {
  const verdict = await inNamespace('same-tick', 400);
  assert.ok(verdict.sameTick >= 5, `at least 5 strangers started within the member's tick, got ${verdict.sameTick}`);
  assert.equal(verdict.primed, verdict.reused, 'each of those pids had been looked up (and cached) as owned');
  assert.equal(verdict.ownedSameTick, 0, `strangers reported as owned: ${JSON.stringify(verdict)}`);
});
