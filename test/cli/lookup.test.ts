// corral ps / tree / which / kill / wait from a second shell's point of view: a tree started by
// `corral run` in a first one is listed, drawn, looked up and stopped; statuses per
// docs/exit-codes.md ("Control commands").
import assert from 'node:assert/strict';
import { type ChildProcess, spawn as spawnChild } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  autoLevel,
  descendantsOf,
  expectAllGone,
  fixture,
  isAlive,
  type Proc,
  procState,
  readReport,
  repoRoot,
  reportedAtLeast,
  reportFile,
  requireTestUser,
  runAsUser,
  safeCleanup,
  testUser,
  waitFor,
} from '../helpers/index.js';

const corral = join(repoRoot, 'bin', 'corral');
const bundle = join(repoRoot, 'dist', 'cli', 'corral.cjs'); // what runAsUser can run as the user

interface Exit {
  /** As a shell reports it: 128+N when corral died of signal N. */
  status: number;
  stdout: string;
  stderr: string;
}

/** Collects a child's output and status; the hang guard SIGKILLs it (our unreaped child: its pid is its own). */
function collect(child: ChildProcess, what: string, bound: number): Promise<Exit> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hang guard (${bound} ms): ${what}`));
    }, bound);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ status: signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? -1), stdout, stderr });
    });
  });
}

/** The "second shell": one corral command to its end. */
function cli(...args: string[]): Promise<Exit> {
  return collect(spawnChild(corral, args), `corral ${args.join(' ')}`, 30_000);
}

// Other test files run corrals at the same time: names are made unique so that none is ours by chance.
let count = 0;
const uniqueName = (base: string): string => `${base}-${process.pid}-${++count}`;

interface Started {
  name: string;
  child: ChildProcess;
  /** `corral run`'s end, as the first shell sees it. */
  exit: Promise<Exit>;
  reported(n: number, what: string): Promise<Proc[]>;
  /** For `finally`: ends `corral run` if still there, then anything the tree left. */
  stop(): Promise<void>;
}

/** The "first shell": `corral run --name NAME -- COMMAND` in the background. */
function start(name: string, command: string[], runOptions: string[] = []): Started {
  const report = reportFile();
  const child = spawnChild(corral, ['run', ...runOptions, '--name', name, '--', ...command], {
    env: { ...process.env, CORRAL_TEST_REPORT: report.path },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exit = collect(child, `corral run --name ${name}`, 60_000);
  exit.catch(() => {}); // awaited by the test, or by stop(); a hang guard must not crash the file
  return {
    name,
    child,
    exit,
    reported: (n, what) => waitFor(reportedAtLeast(report.path, n), { what }),
    async stop() {
      // Its controller dying ends the tree (the reaper's contract); safeCleanup catches the rest.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exit.catch(() => {});
      await safeCleanup(readReport(report.path));
      report.cleanup();
    },
  };
}

interface Listed {
  id: string;
  name: string | null;
  level: string;
  pid: number | null;
  reaperPid: number;
  reaperStart: number;
  uid: number;
  startedAt: string;
  processes: number;
  cpuMs: number;
  rssKiB: number;
  parentId: string | null;
  command: string[];
}

async function listed(): Promise<Listed[]> {
  const ps = await cli('ps', '--json');
  assert.equal(ps.status, 0, ps.stderr);
  return JSON.parse(ps.stdout) as Listed[];
}

/** The corral named `name` once ps shows it with its main pid (the reaper writes it after fork). */
function listedAs(name: string, count = 1, bound = 10_000): Promise<Listed[]> {
  return waitFor(
    async () => {
      const mine = (await listed()).filter((c) => c.name === name);
      return mine.length === count && mine.every((c) => c.pid !== null) ? mine : null;
    },
    { bound, what: `${count} corral(s) named ${name} in corral ps` },
  );
}

async function only(name: string, bound?: number): Promise<Listed> {
  return (await listedAs(name, 1, bound))[0] as Listed;
}

/** Until every one of `procs` sleeps (paused) rather than runs its last instructions before pause(). */
function sleeping(procs: Proc[]): Promise<true> {
  return waitFor(() => procs.every((p) => procState(p) === 'S'), { what: 'the processes to pause' });
}

for (const [how, options, fixtureName, status] of [
  ['SIGTERM (the default)', [], 'double-fork', 143],
  ['-s KILL', ['-s', 'KILL'], 'double-fork', 137],
  ['SIGTERM, then SIGKILL after --grace for a tree ignoring it', ['--grace', '0.2'], 'ignore-term', 137],
] as const) {
  test(`corral kill NAME stops the whole tree with ${how}; corral run exits ${status}`, async () => {
    const first = start(uniqueName('web'), [fixture(fixtureName)]);
    try {
      const procs = await first.reported(fixtureName === 'double-fork' ? 3 : 2, `${fixtureName} to report`);
      await only(first.name);
      const kill = await cli('kill', first.name, ...options);
      assert.deepEqual(kill, { status: 0, stdout: '', stderr: '' });
      // kill waited until the tree was empty: nothing reported is left, before corral run's end is even read.
      expectAllGone(procs);
      assert.equal((await first.exit).status, status);
      assert.deepEqual(
        (await listed()).filter((c) => c.name === first.name),
        [],
      );
    } finally {
      await first.stop();
    }
  });
}

test('corral kill --no-wait only sends the signal; the tree still ends', async () => {
  const first = start(uniqueName('nowait'), [fixture('new-session')]);
  try {
    const procs = await first.reported(2, 'new-session to report main and its setsid() child');
    const c = await only(first.name);
    const kill = await cli('kill', '--no-wait', '--json', first.name);
    assert.equal(kill.status, 0, kill.stderr);
    assert.deepEqual(JSON.parse(kill.stdout), {
      id: c.id,
      name: first.name,
      reaperPid: c.reaperPid,
      signal: 'SIGTERM',
      waited: false,
    });
    assert.equal((await first.exit).status, 143);
    expectAllGone(procs); // corral run exits only once its tree is empty
  } finally {
    await first.stop();
  }
});

test('corral ps lists a running corral with its main pid and live processes; --json has the documented fields', async () => {
  const first = start(uniqueName('ps'), [fixture('chain'), '3']);
  try {
    const procs = await first.reported(3, 'chain 3 to report three processes');
    const c = await only(first.name);
    assert.deepEqual(Object.keys(c).sort(), [
      'cgroup',
      'command',
      'cpuMs',
      'id',
      'level',
      'name',
      'orphaned',
      'parentId',
      'pid',
      'processes',
      'reaperPid',
      'reaperStart',
      'rssKiB',
      'startedAt',
      'uid',
    ]);
    assert.equal(c.pid, procs[0]?.pid);
    assert.equal(c.processes, 3);
    assert.equal(c.level, autoLevel());
    assert.equal(c.uid, process.getuid?.());
    assert.equal(c.parentId, null);
    assert.deepEqual(c.command, [fixture('chain'), '3']);
    assert.match(c.id, /^[0-9a-f]+$/);
    assert.ok(!Number.isNaN(Date.parse(c.startedAt)), c.startedAt);
    assert.ok(c.rssKiB > 0 && c.cpuMs >= 0, JSON.stringify(c));

    const ps = await cli('ps');
    assert.equal(ps.status, 0, ps.stderr);
    const [header, ...rows] = ps.stdout.trimEnd().split('\n');
    assert.match(header ?? '', /^ID +NAME +LEVEL +(PARENT +)?PID +PROCS +CPU +MEM +AGE +COMMAND$/);
    const row = rows.find((r) => r.startsWith(`${c.id} `));
    assert.ok(row, ps.stdout);
    const cells = row.split(/ {3,}/);
    assert.deepEqual([cells[1], cells[2]], [first.name, autoLevel()]);
    assert.ok(cells.includes(String(c.pid)) && cells.includes('3'), row);
    assert.ok(row.endsWith(`${fixture('chain')} 3`), row);

    assert.equal((await cli('kill', '-s', 'KILL', c.id)).status, 0);
    assert.deepEqual(
      (await listed()).filter((l) => l.id === c.id),
      [],
      'a tree that is gone is not listed',
    );
  } finally {
    await first.stop();
  }
});

test("ps shows main's PID as '-' once it exited while the rest of the tree runs (run --wait)", async () => {
  const first = start(uniqueName('nomain'), ['sh', '-c', `${fixture('forever')} & exit 0`], ['--wait']);
  try {
    await first.reported(1, 'forever to report itself');
    const c = await waitFor(async () => (await listed()).find((l) => l.name === first.name && l.pid === null), {
      what: 'ps to show main gone',
    });
    assert.equal(c.processes, 1);
    const row = (await cli('ps')).stdout.split('\n').find((r) => r.startsWith(`${c.id} `)) ?? '';
    const cells = row.split(/ {3,}/);
    assert.deepEqual([cells[1], cells.at(-6), cells.at(-5)], [first.name, '-', '1'], row);
  } finally {
    await first.stop();
  }
});

test('corral tree draws each member under its parent; --json nests children', async () => {
  const wide = start(uniqueName('wide'), [fixture('wide'), '2']);
  const chain = start(uniqueName('chain'), [fixture('chain'), '3']);
  try {
    const wideProcs = await wide.reported(3, 'wide 2 to report main and two children');
    const chainProcs = await chain.reported(3, 'chain 3 to report three levels');
    await sleeping([...wideProcs, ...chainProcs]);
    // The children report in any order; the tree lists them oldest first (start time, then pid).
    const [w0, w1, w2] = [wideProcs[0], ...wideProcs.slice(1).sort((a, b) => a.start - b.start || a.pid - b.pid)];
    const [c0, c1, c2] = chainProcs;
    const w = await only(wide.name);
    const c = await only(chain.name);
    const wideTree = await cli('tree', wide.name);
    const cmd = `${fixture('wide')} 2`;
    assert.deepEqual(wideTree, {
      status: 0,
      stdout: [
        `${w.id} ${wide.name} (${autoLevel()}, reaper ${w.reaperPid})`,
        `└─ ${w0?.pid} S ${cmd}`,
        `   ├─ ${w1?.pid} S ${cmd}`,
        `   └─ ${w2?.pid} S ${cmd}`,
        '',
      ].join('\n'),
      stderr: '',
    });

    const json = await cli('tree', '--json', c.id);
    assert.equal(json.status, 0, json.stderr);
    const node = (pid: number | undefined, ppid: number, children: unknown[]) => ({
      pid,
      ppid,
      state: 'S',
      comm: 'chain',
      command: [fixture('chain'), '3'],
      reaperOf: null,
      children,
    });
    const p = (proc: Proc | undefined): number => proc?.pid ?? -1;
    assert.deepEqual(JSON.parse(json.stdout), [
      {
        id: c.id,
        name: chain.name,
        level: autoLevel(),
        pid: p(c0),
        reaperPid: c.reaperPid,
        parentId: null,
        children: [node(p(c0), c.reaperPid, [node(p(c1), p(c0), [node(p(c2), p(c1), [])])])],
      },
    ]);

    const all = await cli('tree');
    assert.ok(all.stdout.includes(`${w.id} ${wide.name}`) && all.stdout.includes(`${c.id} ${chain.name}`), all.stdout);
  } finally {
    await Promise.all([wide.stop(), chain.stop()]);
  }
});

test('corral which PID names the owning corral and the path up to its reaper, a setsid() daemon too', async () => {
  const first = start(uniqueName('which'), [fixture('double-fork')]);
  try {
    const [main, , daemon] = await first.reported(3, 'double-fork to report main, middle and daemon');
    const c = await only(first.name);
    const byMain = await cli('which', String(main?.pid));
    assert.equal(byMain.status, 0, byMain.stderr);
    assert.deepEqual(byMain.stdout.split('\n'), [
      `corral  ${c.id} ${first.name} (${autoLevel()})`,
      `path    ${main?.pid} double-fork → ${c.reaperPid} corral-reaper`,
      '',
    ]);

    const byDaemon = await cli('which', '--json', String(daemon?.pid));
    assert.equal(byDaemon.status, 0, byDaemon.stderr);
    const answer = JSON.parse(byDaemon.stdout);
    assert.deepEqual(answer.corral, {
      id: c.id,
      name: first.name,
      level: autoLevel(),
      reaperPid: c.reaperPid,
      pid: main?.pid,
    });
    assert.deepEqual(answer.path[0], { pid: daemon?.pid, comm: 'double-fork' });
    assert.deepEqual(answer.path.at(-1), { pid: c.reaperPid, comm: 'corral-reaper' });
    assert.deepEqual([answer.pid, answer.parents, answer.isReaper], [daemon?.pid, [], false]);

    assert.deepEqual(await cli('which', String(process.pid)), {
      status: 1,
      stdout: '',
      stderr: `corral: pid ${process.pid} is not in any corral\n`,
    });
    assert.deepEqual(await cli('which', 'abc'), {
      status: 2,
      stdout: '',
      stderr: "corral: invalid PID 'abc'\nhint: a PID is a positive number\n",
    });
  } finally {
    await first.stop();
  }
});

test('a corral inside another: ps names its parent, which lists the enclosing corral', async () => {
  const outer = start(uniqueName('outer'), [corral, 'run', '--name', uniqueName('inner'), '--', fixture('forever')]);
  try {
    const [inMain] = await outer.reported(1, 'forever to report itself');
    const o = await only(outer.name);
    const i = await waitFor(async () => (await listed()).find((l) => l.parentId === o.id && l.pid !== null), {
      what: 'the inner corral in ps',
    });
    assert.equal(i.pid, inMain?.pid);
    const ps = await cli('ps');
    assert.match(ps.stdout.split('\n')[0] ?? '', /^ID +NAME +LEVEL +PARENT +PID /);
    const which = JSON.parse((await cli('which', '--json', String(inMain?.pid))).stdout);
    assert.equal(which.corral.id, i.id);
    assert.deepEqual(
      which.parents.map((r: Listed) => r.id),
      [o.id],
    );
    const tree = await cli('tree', o.id);
    assert.match(tree.stdout, new RegExp(`─ ${i.reaperPid} [A-Z] corral-reaper \\[corral ${i.id}\\]\n`));
    assert.equal((await cli('kill', o.id)).status, 0);
    assert.deepEqual(
      (await listed()).filter((l) => l.id === o.id || l.id === i.id),
      [],
      'stopping the outer corral stopped the inner one too',
    );
    expectAllGone([inMain as Proc]);
  } finally {
    await outer.stop();
  }
});

test('a name that matches several corrals is refused with both ids (2); an id picks one', async () => {
  const name = uniqueName('twin');
  const a = start(name, [fixture('forever')]);
  const b = start(name, [fixture('forever')]);
  try {
    const [aMain] = await a.reported(1, 'the first forever');
    await b.reported(1, 'the second forever');
    const [x, y] = (await listedAs(name, 2)) as [Listed, Listed];
    assert.deepEqual(await cli('kill', name), {
      status: 2,
      stdout: '',
      stderr:
        `corral: '${name}' matches 2 corrals: ${x.id} (${name}) reaper ${x.reaperPid}, ${y.id} (${name}) reaper ${y.reaperPid}\n` +
        'hint: name one by its id\n',
    });
    const [runsX, runsY] = x.pid === aMain?.pid ? [a, b] : [b, a];
    assert.equal((await cli('kill', x.id)).status, 0);
    assert.equal((await runsX.exit).status, 143);
    assert.deepEqual(
      (await listed()).filter((l) => l.name === name).map((l) => l.id),
      [y.id],
      'only the corral named by its id was stopped',
    );
    assert.equal(runsY.child.exitCode, null);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test('corral wait returns once the tree is empty', async () => {
  const first = start(uniqueName('wait'), [fixture('new-session')]);
  let waiter: ChildProcess | undefined;
  try {
    const procs = await first.reported(2, 'new-session to report main and child');
    const c = await only(first.name);
    waiter = spawnChild(corral, ['wait', '--json', first.name]);
    const waited = collect(waiter, 'corral wait', 30_000);
    // Attached once it runs the reaper binary's --wait on the corral's reaper.
    const pid = waiter.pid ?? -1;
    await waitFor(() => descendantsOf(pid).some((p) => commOf(p.pid) === 'corral-reaper'), {
      what: 'corral wait to attach',
    });
    assert.equal(waiter.exitCode, null, 'still waiting while the tree runs');
    assert.equal((await cli('kill', '-s', 'KILL', c.id)).status, 0);
    assert.deepEqual(await waited, {
      status: 0,
      stdout: `${JSON.stringify({ id: c.id, name: first.name, reaperPid: c.reaperPid }, null, 2)}\n`,
      stderr: '',
    });
    expectAllGone(procs);
  } finally {
    if (waiter && waiter.exitCode === null && waiter.signalCode === null) waiter.kill('SIGKILL');
    await first.stop();
  }
});

function commOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null; // gone
  }
}

test('control commands exit 1 for no such corral and 2 for bad usage, with one line and a hint', async () => {
  const missing = uniqueName('no-such');
  const noSuch = `corral: no such corral: ${missing}\nhint: run 'corral ps' to see the live corrals (trees that are gone are not listed)\n`;
  for (const command of ['kill', 'wait', 'tree']) {
    assert.deepEqual(await cli(command, missing), { status: 1, stdout: '', stderr: noSuch }, command);
  }
  const usage: [string[], string][] = [
    [['kill'], 'corral: missing ID or NAME\nhint: usage: corral kill ID|NAME\n'],
    [['wait'], 'corral: missing ID or NAME\nhint: usage: corral wait ID|NAME\n'],
    [
      ['kill', missing, '-s', 'NOPE'],
      'corral: NOPE: invalid signal\nhint: use a name like TERM, INT, HUP, KILL or a number like 9\n',
    ],
    [
      ['kill', missing, '--grace', 'soon'],
      "corral: invalid --grace 'soon'\nhint: use a number with an optional s, m, h or d suffix, e.g. 10, 1.5m\n",
    ],
    [
      ['kill', '--no-wait', '--grace', '1', missing],
      'corral: --grace needs the wait that --no-wait turns off\nhint: drop one of them\n',
    ],
    [['kill', 'a', 'b'], "corral: unexpected argument 'b'\nhint: name one corral\n"],
    [['which'], 'corral: missing PID\nhint: usage: corral which PID\n'],
    [['which', '0'], "corral: invalid PID '0'\nhint: a PID is a positive number\n"],
    [['ps', 'extra'], "corral: unexpected argument 'extra'\nhint: usage: corral ps [--json]\n"],
    [['tree', 'a', 'b'], "corral: unexpected argument 'b'\nhint: name one corral\n"],
    [['kill', ''], "corral: empty ID or NAME\nhint: see 'corral ps' for the live corrals\n"],
    [['tree', ''], "corral: empty ID or NAME\nhint: see 'corral ps' for the live corrals\n"],
    [
      ['ps', '--bogus'],
      "corral: Unknown option '--bogus'\nhint: see 'corral ps --help'; put an operand starting with '-' after '--'\n",
    ],
  ];
  for (const [args, stderr] of usage)
    assert.deepEqual(await cli(...args), { status: 2, stdout: '', stderr }, args.join(' '));
  for (const command of ['ps', 'tree', 'which', 'kill', 'wait']) {
    const help = await cli(command, '--help');
    assert.equal(help.status, 0, command);
    assert.ok(help.stdout.startsWith(`usage: corral ${command} `), help.stdout);
  }
});

test('as another user, ps lists only that user’s corrals: none of root’s', async (t) => {
  const user = requireTestUser(t);
  if (user === undefined) return;
  const first = start(uniqueName('roots'), [fixture('forever')]);
  try {
    const [main] = await first.reported(1, 'forever to report itself');
    await only(first.name);
    const ps = await runAsUser(bundle, ['ps']);
    assert.deepEqual(
      [ps.code, ps.stdout],
      [0, 'ID   NAME   LEVEL   PID   PROCS   CPU   MEM   AGE   COMMAND\n'],
      ps.stderr,
    );
    assert.deepEqual(await runAsUser(bundle, ['ps', '--json']), { code: 0, signal: null, stdout: '[]\n', stderr: '' });
    assert.ok(isAlive(main as Proc), 'the corral is still running');
  } finally {
    await first.stop();
  }
});

test('as another user, corral kill of root’s corral exits 3 with the not-permitted message', async (t) => {
  const user = requireTestUser(t);
  if (user === undefined) return;
  const first = start(uniqueName('roots'), [fixture('forever')]);
  try {
    const [main] = await first.reported(1, 'forever to report itself');
    const c = await only(first.name);
    const kill = await runAsUser(bundle, ['kill', c.id]);
    assert.deepEqual(kill, {
      code: 3,
      signal: null,
      stdout: '',
      stderr: `corral: corral ${c.id} belongs to uid 0: you may not signal it\nhint: run as that user or as root\n`,
    });
    assert.ok(isAlive(main as Proc), 'the tree was not touched');
  } finally {
    await first.stop();
  }
});

test('root can kill a corral started by another user', async (t) => {
  const user = requireTestUser(t);
  if (user === undefined) return;
  const name = uniqueName('users');
  // runAsUser resolves when the user's `corral run` ends, and checks no process of the user is left.
  const run = runAsUser(bundle, ['run', '--name', name, '--', 'sleep', '1000'], { bound: 60_000 });
  let id: string | undefined;
  try {
    const c = await only(name, 30_000); // after runAsUser has copied the build for the user
    id = c.id;
    assert.equal(c.uid, testUser()?.uid);
    assert.deepEqual(await cli('kill', c.id), { status: 0, stdout: '', stderr: '' });
    const ended = await run;
    assert.deepEqual([ended.code, ended.signal], [null, 'SIGTERM'], ended.stderr);
  } finally {
    if (id !== undefined) await cli('kill', '-s', 'KILL', id); // by id, verified by the library: only that tree
    await run.catch(() => {});
  }
});
