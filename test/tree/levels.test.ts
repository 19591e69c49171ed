// The cgroup and sandbox levels: what each guarantees beyond track, checked from outside, as root
// and as the unprivileged user; no cgroup directory and no namespace is left behind.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn as spawnChild } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { attach, LevelUnavailableError, list, ownerOf, ReaperError, run, spawn } from '../../dist/index.js';
import { killAndRemoveGroup } from '../../dist/kernel/cgroup.js';
import { cgroupSite } from '../../dist/tree/levels.js';
import {
  bounded,
  expectAllGone,
  fixture,
  type Proc,
  procState,
  readReport,
  readStat,
  repoRoot,
  reportedAtLeast,
  reportFile,
  requireTestUser,
  runAsUser,
  safeCleanup,
  startReported,
  survivors,
  waitFor,
  withPidsLimit,
} from '../helpers/index.js';

const site = cgroupSite();
const root = process.geteuid?.() === 0;
const groupsMade: string[] = [];

function needCgroup(t: { skip(m: string): void }): string | undefined {
  if (site.parent !== null) return site.parent;
  if (root && process.env.CI === 'true') throw new Error(`root here must be able to make cgroups: ${site.why}`);
  t.skip(`no writable cgroup v2 group: ${site.why}`);
  return undefined;
}

after(async () => {
  // No cgroup directory left behind by any test here (each is removed when its tree is empty).
  const left = groupsMade.filter((dir) => existsSync(dir));
  for (const dir of left) await killAndRemoveGroup(dir);
  assert.deepEqual(left, [], 'cgroups left behind');
});

/**
 * With the reaper dead, the killed members were orphans of pid 1, which reaps when it gets to it
 * (about 2 s on these machines): dead at once, gone from /proc once init has reaped them.
 */
async function allGone(procs: Proc[], what: string): Promise<void> {
  await waitFor(() => survivors(procs).every((p) => p.state === 'Z') || null, { what: `${what} to be dead` });
  await waitFor(() => survivors(procs).length === 0, { bound: 30_000, what: `${what}'s zombies to be reaped by init` });
  expectAllGone(procs, what);
}

function relative(dir: string): string {
  const mount = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .find((f) => f[f.indexOf('-') + 1] === 'cgroup2' && dir.startsWith(f[4] as string))?.[4];
  return dir.slice((mount ?? '').length);
}

test('cgroup: every member is in the group from the start, pids() reads it, the group goes with the tree', async (t) => {
  if (needCgroup(t) === undefined) return;
  const { tree, procs } = await startReported(t, fixture('double-fork'), [], 3, { level: 'cgroup' });
  assert.equal(tree.level, 'cgroup');
  const dir = tree.cgroup as string;
  groupsMade.push(dir);
  assert.ok(existsSync(dir), `the group ${dir} exists`);
  // double-fork's middle process exits once the daemon runs: then the tree holds still.
  await waitFor(() => tree.pids().length === 2, { what: 'main and the daemon, the middle gone' });
  for (const p of procs.filter((p) => readStat(p.pid)?.start === p.start)) {
    const line = readFileSync(`/proc/${p.pid}/cgroup`, 'utf8').match(/^0::(.*)$/m)?.[1];
    assert.equal(line, relative(dir), `pid ${p.pid} is in the group`);
  }
  const members = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  assert.deepEqual([...tree.pids()].sort(), members.sort());
  const result = await tree.kill();
  assert.equal(result.level, 'cgroup');
  assert.equal(existsSync(dir), false, 'the group is removed once the tree is empty');
  expectAllGone(procs);
});

test('cgroup: a process living on in a thread after its leader exited (cgroup.kill spares it) is killed too', async (t) => {
  if (needCgroup(t) === undefined) return;
  const { tree, procs } = await startReported(t, 'sh', ['-c', `"${fixture('leader-exit')}" & exec sleep 1000`], 1, {
    level: 'cgroup',
  });
  const [threaded] = procs;
  assert.ok(threaded);
  if (tree.cgroup) groupsMade.push(tree.cgroup);
  // Its leader is a zombie in /proc/PID/stat while the thread runs: what cgroup.kill does not end on 6.18.
  await waitFor(() => procState(threaded) === 'Z' || null, { what: 'the leader thread to exit' });
  assert.ok(readdirSync(`/proc/${threaded.pid}/task`).length >= 2, 'its thread lives on');
  const result = await bounded(tree.kill(), 20_000, 'the kill of a tree with a thread-only process');
  assert.equal(result.level, 'cgroup');
  expectAllGone([threaded], 'the thread-only process');
});

test('cgroup: while a member is slow to die after the kill, the reaper waits without spinning', async (t) => {
  if (needCgroup(t) === undefined) return;
  // A cgroup v1 freezer (root, hybrid layout) holds one member back: SIGKILL reaches it only once thawed.
  const freezerRoot = '/sys/fs/cgroup/freezer';
  if (!root || !existsSync(join(freezerRoot, 'cgroup.procs'))) {
    t.skip('needs root and a cgroup v1 freezer hierarchy to hold a member back');
    return;
  }
  const freezer = join(freezerRoot, `corral-test-${process.pid}-${Date.now()}`);
  const thaw = (): void => writeFileSync(join(freezer, 'freezer.state'), 'THAWED');
  t.after(() => {
    if (!existsSync(freezer)) return;
    thaw();
    for (let i = 0; i < 100 && readFileSync(join(freezer, 'cgroup.procs'), 'utf8').trim() !== ''; i++) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
    rmdirSync(freezer);
  });
  const { tree, procs } = await startReported(t, 'sh', ['-c', `"${fixture('forever')}" & exec sleep 1000`], 1, {
    level: 'cgroup',
  });
  if (tree.cgroup) groupsMade.push(tree.cgroup);
  const [held] = procs;
  assert.ok(held);
  mkdirSync(freezer);
  // Alive and sh's unreaped child, so the pid is still this process; checked just before.
  assert.equal(readStat(held.pid)?.start, held.start);
  writeFileSync(join(freezer, 'cgroup.procs'), String(held.pid));
  writeFileSync(join(freezer, 'freezer.state'), 'FROZEN');
  await waitFor(() => readFileSync(join(freezer, 'freezer.state'), 'utf8').trim() === 'FROZEN' || null, {
    what: 'the member to be frozen',
  });
  const cpuTicks = (): number => {
    const stat = readFileSync(`/proc/${tree.reaperPid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (100 a second)
  };
  const killed = tree.kill('SIGKILL');
  // Past the sweep (at most 250 ms after the kill), only the frozen member is left: count the reaper's CPU.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = cpuTicks();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const used = cpuTicks() - before;
  assert.ok(used < 30, `the reaper used ${used} ticks of CPU in a second of waiting (a spin uses about 100)`);
  thaw();
  const result = await bounded(killed, 20_000, 'the kill once thawed');
  assert.equal(result.level, 'cgroup');
  expectAllGone([held], 'the frozen member');
});

test('cgroup: a tree that SIGKILLs its reaper changes nothing: the controller kills the group', async (t) => {
  if (needCgroup(t) === undefined) return;
  const report = reportFile();
  t.after(async () => {
    await safeCleanup(readReport(report.path));
    report.cleanup();
  });
  // Three double-fork processes report; then the reaper ($PPID of main) is SIGKILLed by its own tree.
  const script = `"$FIX" & while [ "$(wc -l < "$CORRAL_TEST_REPORT")" -lt 3 ]; do sleep 0.01; done; kill -9 $PPID; exec sleep 1000`;
  const tree = await spawn('sh', ['-c', script], {
    level: 'cgroup',
    stdio: 'ignore',
    leftovers: 'wait',
    env: { ...process.env, FIX: fixture('double-fork'), CORRAL_TEST_REPORT: report.path },
  });
  const dir = tree.cgroup as string;
  groupsMade.push(dir);
  const main: Proc = { pid: tree.pid, start: readStat(tree.pid)?.start ?? -1 };
  await assert.rejects(bounded(tree.done, 20_000, 'done after the reaper died'), (error: unknown) => {
    assert.ok(error instanceof ReaperError, String(error));
    assert.match(error.message, /was killed by SIGKILL .*every process of the tree was killed through its cgroup/);
    return true;
  });
  await allGone([main, ...readReport(report.path)], 'the tree whose reaper was killed');
  assert.equal(existsSync(dir), false, 'and its group was removed');
});

test('cgroup: with its controller killed too, the group stays listed by list() and a later kill removes it', async (t) => {
  if (needCgroup(t) === undefined) return;
  const report = reportFile();
  const go = join(mkdtempSync(join(tmpdir(), 'corral-go-')), 'go');
  let dir: string | undefined;
  let child: ChildProcess | undefined;
  t.after(async () => {
    // Still running (the test failed before the tree struck): SIGKILL the controller, which is our own child and
    // not yet reaped, so its pid is still its own; its reaper then kills the group as it does for any dead controller.
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (dir && existsSync(dir)) await killAndRemoveGroup(dir);
    await safeCleanup(readReport(report.path));
    report.cleanup();
    rmSync(dirname(go), { recursive: true, force: true });
  });
  // The controller stops itself being able to clean up (SIGSTOP from the tree), then loses its reaper and its life.
  // The tree strikes only once the test has read the controller's line ($GO exists): struck earlier, the controller
  // could die before it printed (seen in CI).
  const script = `"$FIX" & while [ "$(wc -l < "$CORRAL_TEST_REPORT")" -lt 3 ] || [ ! -e "$GO" ]; do sleep 0.01; done; kill -STOP $CONTROLLER; kill -9 $PPID; kill -9 $CONTROLLER; exec sleep 1000`;
  const controller = [
    `const { spawn } = await import(${JSON.stringify(join(repoRoot, 'dist/index.js'))});`,
    "const tree = await spawn('sh', ['-c', process.argv[1]], { level: 'cgroup', stdio: 'ignore', leftovers: 'wait',",
    '  env: { ...process.env, CONTROLLER: String(process.pid) } });',
    "process.stdout.write(tree.id + ' ' + tree.cgroup + '\\n');",
    'await tree.done.catch(() => {});',
  ].join('\n');
  const controllerProcess = spawnChild(process.execPath, ['--input-type=module', '-e', controller, script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, FIX: fixture('double-fork'), CORRAL_TEST_REPORT: report.path, GO: go },
  });
  child = controllerProcess;
  let out = '';
  controllerProcess.stdout.on('data', (d) => (out += d));
  const exited = new Promise((resolve) => controllerProcess.once('exit', (_code, signal) => resolve(signal)));
  const [, id = '', group = ''] = await waitFor(() => /^(\w+) (\S+)$/m.exec(out), {
    what: 'the controller to print its tree',
  });
  dir = group;
  groupsMade.push(group);
  writeFileSync(go, '');
  assert.equal(await bounded(exited, 20_000, 'the controller to be killed'), 'SIGKILL');
  await waitFor(reportedAtLeast(report.path, 3), { what: 'the reports' });
  const procs = readReport(report.path);
  const orphan = await waitFor(() => list().find((c) => c.id === id && c.orphaned), {
    what: 'list() to show the orphaned group',
  });
  assert.equal(orphan.level, 'cgroup');
  assert.equal(orphan.cgroup, group);
  assert.equal(orphan.reaperPid, 0);
  assert.ok(orphan.processes >= 3, `main's sleep and the double-fork survivors, got ${orphan.processes}`);
  assert.ok(
    procs.some((p) => readStat(p.pid)?.start === p.start),
    'its processes really live on: only the group holds them',
  );
  const member = procs.find((p) => readStat(p.pid)?.start === p.start) as Proc;
  assert.equal(ownerOf(member.pid)?.corral.id, id, 'ownerOf names the orphaned group as the corral of its members');
  const handle = await attach(id);
  await bounded(handle.kill('SIGKILL'), 20_000, 'the kill of the orphaned group');
  assert.equal(existsSync(group), false, 'the group is gone');
  await allGone(procs, 'the orphaned tree');
  assert.equal(
    list().some((c) => c.id === id),
    false,
    'and it is no longer listed',
  );
});

test('cgroup: limits the controllers cannot enforce here are refused, never dropped', async (t) => {
  if (needCgroup(t) === undefined) return;
  for (const [controller, options] of [
    ['pids', { maxProcesses: 10 }],
    ['memory', { maxMemory: '64M' }],
    ['cpu', { maxCpu: 0.5 }],
  ] as const) {
    if (site.controllers.includes(controller)) continue; // enforced there: the positive tests apply
    // Not by auto either, nor by a sandbox (which can cap processes, but not memory or CPU, without the controller).
    const levels = controller === 'pids' ? (['cgroup', 'auto'] as const) : (['cgroup', 'auto', 'sandbox'] as const);
    for (const level of levels) {
      await assert.rejects(run('true', [], { level, ...options }), (error: unknown) => {
        assert.ok(error instanceof LevelUnavailableError, `${level}: ${String(error)}`);
        assert.match(error.message, new RegExp(`needs the ${controller} controller`));
        assert.ok(error.hint && error.hint.length > 0, 'with a fix');
        if (controller !== 'pids') assert.doesNotMatch(error.hint, /sandbox/, 'a sandbox is no way out here');
        return true;
      });
    }
  }
});

test('cgroup: maxCpu is written to cpu.max (quota per 100 ms) where the cpu controller is delegated', async (t) => {
  if (needCgroup(t) === undefined) return;
  if (!site.controllers.includes('cpu')) {
    t.skip(`no cpu controller in ${site.parent}/cgroup.controllers (refused instead: see the test above)`);
    return;
  }
  const tree = await spawn('sleep', ['100'], { level: 'cgroup', maxCpu: 0.5, stdio: 'ignore' });
  groupsMade.push(tree.cgroup as string);
  try {
    assert.equal(readFileSync(join(tree.cgroup as string, 'cpu.max'), 'utf8').trim(), '50000 100000');
  } finally {
    await bounded(tree.kill('SIGKILL'), 10_000, 'the kill');
  }
});

test('auto picks cgroup where it can; asking for sandbox options picks the sandbox', async (t) => {
  const expected = site.parent === null ? 'track' : 'cgroup';
  const r = await run('true', [], {});
  assert.equal(r.level, expected);
  if (site.parent === null) t.diagnostic('no cgroup here: auto is track');
  const s = await run('true', [], { network: false });
  assert.equal(s.level, 'sandbox');
});

/** The CLI, with `env` added to the environment. */
function runCli(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawnChild(join(repoRoot, 'bin/corral'), args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('where clone3 fails ENOSYS or EPERM (container seccomp profiles older than it), main still starts inside the group', async (t) => {
  if (needCgroup(t) === undefined) return;
  // Main is born in the group with clone3(CLONE_INTO_CGROUP); refused that, it joins the group before exec.
  // Only the reaper runs under the filter: with EPERM, glibc cannot start threads, so Node could not run.
  const dir = mkdtempSync(join(tmpdir(), 'corral-clone3-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const errno of ['ENOSYS', 'EPERM'] as const) {
    const wrapper = join(dir, `reaper-${errno}`);
    const reaper = join(repoRoot, 'build/Release/corral-reaper');
    writeFileSync(wrapper, `#!/bin/sh\nexec "${fixture('no-clone3')}" ${errno} "${reaper}" "$@"\n`, { mode: 0o755 });
    for (const level of ['cgroup', 'sandbox'] as const) {
      const { code, stdout, stderr } = await runCli(
        ['run', '--level', level, '--json', '--', 'cat', '/proc/self/cgroup'],
        { CORRAL_REAPER: wrapper },
      );
      assert.equal(code, 0, `${level}, clone3 ${errno}: ${stderr}`);
      const json = stdout.indexOf('\n{\n');
      const result = JSON.parse(stdout.slice(json + 1)) as { id: string; level: string };
      assert.equal(result.level, level);
      const unified = /^0::(.*)$/m.exec(stdout.slice(0, json))?.[1] ?? '';
      assert.equal(unified.split('/').at(-1), `corral-${result.id}`, `${level}: main ran in the corral's group`);
      groupsMade.push(join(site.parent ?? '', `corral-${result.id}`));
    }
  }
});

test('the CLI reports each level in --json and refuses an unavailable one with the fix (exit 125)', async () => {
  const sandbox = await runCli(['run', '--sandbox', '--json', '--', 'sh', '-c', 'exit 3']);
  assert.equal(sandbox.code, 3, sandbox.stderr);
  assert.equal(JSON.parse(sandbox.stdout).level, 'sandbox');
  const both = await runCli(['run', '--sandbox', '--level', 'track', '--', 'true']);
  assert.equal(both.code, 125);
  assert.match(both.stderr, /^corral: --sandbox conflicts with --level track\nhint: /);
  const track = await runCli(['run', '--level', 'track', '--no-network', '--', 'true']);
  assert.equal(track.code, 125);
  assert.match(
    track.stderr,
    /^corral: `network: false` cannot be enforced by the track level\nhint: use level 'sandbox'/,
  );
  if (site.parent !== null && !site.controllers.includes('memory')) {
    const memory = await runCli(['run', '--level', 'cgroup', '--max-memory', '64M', '--', 'true']);
    assert.equal(memory.code, 125);
    assert.match(memory.stderr, /needs the memory controller[^\n]*\nhint: /);
  }
  if (site.parent !== null && !site.controllers.includes('cpu')) {
    const cpu = await runCli(['run', '--max-cpu', '0.5', '--', 'true']);
    assert.equal(cpu.code, 125);
    assert.match(cpu.stderr, /^corral: `maxCpu` needs the cpu controller[^\n]*\nhint: /);
  }
  for (const [flag, value, expects] of [
    ['--max-cpu', '0', 'a number of CPUs from 0.01 to 10000'],
    ['--max-memory', 'lots', 'a size'],
  ]) {
    const bad = await runCli(['run', flag as string, value as string, '--', 'true']);
    assert.equal(bad.code, 125);
    assert.equal(bad.stderr.split('\n')[0], `corral: ${flag} expects ${expects}, got '${value}'`);
  }
});

const scenario = fileURLToPath(new URL('../scenarios/sandbox.js', import.meta.url));

interface Verdict {
  uid: number;
  checks: { name: string; ok: boolean; detail: unknown }[];
}

function verdictOf(stdout: string, stderr: string, code: number | null): Verdict {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as Verdict;
  } catch {
    assert.fail(`no JSON verdict from the sandbox scenario (exit ${code}): ${stdout}\n${stderr}`);
  }
}

function assertVerdict(verdict: Verdict, atLeast: number): void {
  const failed = verdict.checks.filter((c) => !c.ok);
  assert.deepEqual(failed, [], 'every sandbox check passed');
  assert.ok(verdict.checks.length >= atLeast, verdict.checks.map((c) => c.name).join('; '));
}

test('sandbox as root: ancestors killed, storm capped, no network, read-only; nothing left', async (t) => {
  if (!root) return t.skip('the unprivileged run below covers a non-root caller');
  await withPidsLimit(300, async (limit) => {
    const child = spawnChild(process.execPath, [scenario], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...limit.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await bounded(
      new Promise<number | null>((resolve) => child.once('exit', resolve)),
      120_000,
      'the sandbox scenario',
    ).finally(() => child.kill('SIGKILL'));
    const verdict = verdictOf(stdout, stderr, code);
    assertVerdict(verdict, 7);
    assert.deepEqual(limit.members(), [], 'nothing of the scenario is left in its pids group');
  });
});

test('sandbox as an unprivileged user: the same guarantees, and the cgroup level refused with its fix', async (t) => {
  const user = requireTestUser(t);
  if (user === undefined) return;
  // runAsUser also asserts that no process of the user is left afterwards.
  const run = await runAsUser(scenario, [], { bound: 120_000 });
  const verdict = verdictOf(run.stdout, run.stderr, run.code);
  assert.equal(verdict.uid, user.uid);
  assertVerdict(verdict, 8);
  assert.equal(run.code, 0, run.stderr);
});

test('no corral cgroup is left anywhere corral makes them', () => {
  if (site.parent === null) return;
  // Other tests in this run may be mid-flight in other files: only groups whose reaper is gone count.
  const live = new Set(
    list()
      .filter((c) => !c.orphaned)
      .map((c) => c.id),
  );
  const stale = readdirSync(site.parent).filter((n) => /^corral-[0-9a-f]{8}$/.test(n) && !live.has(n.slice(7)));
  assert.deepEqual(stale, []);
});
