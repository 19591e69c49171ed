// attach(idOrName): a handle on a corral started elsewhere. It finds the corral by id, id prefix
// or name (or says exactly why not), lists the same members as the spawning handle, forwards
// catchable signals to every member, and kills the whole tree — resolving only once it is empty.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  AmbiguousCorralError,
  attach,
  InvalidOptionError,
  NoSuchCorralError,
  spawn,
  type Tree,
} from '../../dist/index.js';
import {
  bounded,
  expectAllGone,
  fixture,
  isAlive,
  type Proc,
  procState,
  readReport,
  readStat,
  reportFile,
  safeCleanup,
  startReported,
  waitFor,
} from '../helpers/index.js';

const start = startReported;

/** A name no other test file's corral has. */
let names = 0;
const uniqueName = (what: string): string => `attach-${what}-${process.pid}-${++names}`;

const sorted = (pids: readonly number[]): number[] => [...pids].sort((a, b) => a - b);

/** Our own children that are reaper tool-mode helpers (`corral-reaper --wait|--signal …`). */
function helpersOf(reaperPid: number): string[] {
  const kids = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').split(' ').filter(Boolean);
  return kids
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      } catch {
        return [];
      }
    })
    .filter((argv) => (argv[1] === '--wait' || argv[1] === '--signal') && argv[2] === String(reaperPid))
    .map((argv) => argv.join(' ').trim());
}

test('attach(id) finds the corral, and its pids() are the spawning handle’s', async (t) => {
  const name = uniqueName('id');
  const { tree, procs } = await start(t, fixture('wide'), ['4'], 5, { name });
  const attached = await attach(tree.id);
  assert.deepEqual(
    [attached.id, attached.name, attached.reaperPid, attached.info.pid, attached.info.command],
    [tree.id, name, tree.reaperPid, tree.pid, [fixture('wide'), '4']],
  );
  assert.deepEqual(sorted(attached.pids()), sorted(tree.pids()));
  assert.deepEqual(sorted(attached.pids()), sorted(procs.map((p) => p.pid)), 'exactly the reported processes');
});

test('attach() finds the same corral by a prefix of its id and by its name', async (t) => {
  const name = uniqueName('prefix');
  const { tree } = await start(t, fixture('forever'), [], 1, { name });
  assert.equal((await attach(tree.id.slice(0, 6))).id, tree.id);
  assert.equal((await attach(name)).id, tree.id);
});

test('attach() of an id or name no live corral has rejects with NoSuchCorralError', async (t) => {
  await assert.rejects(attach('no-such-corral-anywhere'), (error: unknown) => {
    assert.ok(error instanceof NoSuchCorralError);
    assert.equal(error.code, 'CORRAL_ERR_NO_SUCH_CORRAL');
    assert.equal(error.message, 'no such corral: no-such-corral-anywhere');
    return true;
  });
  // A corral that was there and is gone (tree empty, reaper exited) is no longer found either.
  const name = uniqueName('gone');
  const { tree } = await start(t, fixture('forever'), [], 1, { name });
  const attached = await attach(name);
  await tree.kill('SIGKILL');
  await bounded(attached.done, 10_000, 'the attached done');
  await assert.rejects(attach(tree.id), { code: 'CORRAL_ERR_NO_SUCH_CORRAL', message: `no such corral: ${tree.id}` });
  await assert.rejects(attach(name), { code: 'CORRAL_ERR_NO_SUCH_CORRAL', message: `no such corral: ${name}` });
});

test('attach(name) shared by two live corrals rejects with AmbiguousCorralError naming both', async (t) => {
  const name = uniqueName('twice');
  const { tree: a } = await start(t, fixture('forever'), [], 1, { name });
  const { tree: b } = await start(t, fixture('forever'), [], 1, { name });
  // list() order: reaper start time, then reaper pid.
  const order = [a, b].sort((x, y) => {
    const [sx, sy] = [readStat(x.reaperPid)?.start ?? 0, readStat(y.reaperPid)?.start ?? 0];
    return sx - sy || x.reaperPid - y.reaperPid;
  });
  const matches = order.map((tree) => `${tree.id} (${name}) reaper ${tree.reaperPid}`);
  await assert.rejects(attach(name), (error: unknown) => {
    assert.ok(error instanceof AmbiguousCorralError);
    assert.equal(error.code, 'CORRAL_ERR_AMBIGUOUS_CORRAL');
    assert.equal(error.message, `'${name}' matches 2 corrals: ${matches.join(', ')}`);
    assert.deepEqual(error.matches, matches);
    return true;
  });
  assert.equal((await attach(a.id)).id, a.id, 'each is still found by its id');
});

/** Whether `signo` is in the SigCgt (handled) or SigIgn (ignored) mask of /proc/PID/status. */
function inMask(pid: number, mask: 'SigCgt' | 'SigIgn', signo: number): boolean {
  try {
    const hex = new RegExp(`^${mask}:\\s+([0-9a-f]+)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return ((BigInt(`0x${hex ?? '0'}`) >> BigInt(signo - 1)) & 1n) === 1n;
  } catch {
    return false; // gone
  }
}
const catches = (pid: number, signo: number): boolean => inMask(pid, 'SigCgt', signo);
const ignores = (pid: number, signo: number): boolean => inMask(pid, 'SigIgn', signo);

test("signal('SIGUSR1') through attach reaches every member once, a setsid() one included", async (t) => {
  // Three witnesses (main, a child, a child in its own session) log each signal they get to
  // $CORRAL_TEST_REPORT; they report no pids, so the clean-up takes them from the tree.
  const log = reportFile();
  let members: Proc[] = [];
  let tree: Tree | undefined;
  t.after(async () => {
    if (tree) await bounded(tree.kill('SIGKILL'), 10_000, 'the clean-up kill').catch(() => {});
    await safeCleanup(members);
    log.cleanup();
  });
  const witness = `${fixture('witness')} 600000`;
  tree = await spawn('sh', ['-c', `${witness} & setsid ${witness} & exec ${witness}`], {
    stdio: 'ignore',
    env: { ...process.env, CORRAL_TEST_REPORT: log.path },
  });
  const handle = tree;
  members = await waitFor(
    () => {
      const pids = handle.pids();
      const ready = pids.length === 3 && pids.every((pid) => readStat(pid) !== null && catches(pid, 10));
      return ready && pids.map((pid) => ({ pid, start: readStat(pid)?.start ?? -1 }));
    },
    { what: 'three witnesses with their SIGUSR1 handler installed' },
  );
  const sessions = new Set(
    members.map((p) => readFileSync(`/proc/${p.pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[3]),
  );
  assert.equal(sessions.size, 2, 'one witness is in a session of its own');
  const attached = await attach(tree.id);
  await attached.signal('SIGUSR1');
  const logged = () => readFileSync(log.path, 'utf8').split('\n').filter(Boolean);
  await waitFor(() => logged().length >= 3, { what: 'three witnesses to log SIGUSR1' });
  await tree.kill('SIGKILL'); // witnesses do not log SIGKILL: after this the log is final
  assert.deepEqual(logged().sort(), members.map((p) => `signal 10 pid ${p.pid}`).sort());
});

test('kill(SIGTERM, { grace }) ends a tree that ignores SIGTERM, resolving only once every process is gone', async (t) => {
  const { tree, procs, report } = await start(t, fixture('ignore-term'), [], 2);
  // Negative control: SIGTERM alone cannot end it — both processes ignore it.
  for (const p of procs) assert.ok(!catches(p.pid, 15) && ignores(p.pid, 15), `${p.pid} ignores SIGTERM`);
  const attached = await attach(tree.id);
  const spawnerDone = tree.done;
  await bounded(attached.kill('SIGTERM', { grace: 100 }), 15_000, 'attached kill');
  expectAllGone(readReport(report), 'ignore-term');
  const result = await bounded(spawnerDone, 10_000, "the spawner's done");
  assert.deepEqual([result.exitCode, result.signal], [null, 'SIGKILL'], 'main died of the escalation to SIGKILL');
  assert.deepEqual(attached.pids(), []);
  await bounded(attached.done, 10_000, 'done after kill');
});

test("kill('SIGKILL') kills the tree at once: no grace is waited for, even an infinite one", async (t) => {
  const { tree, report } = await start(t, fixture('ignore-term'), [], 2);
  const attached = await attach(tree.id);
  await bounded(attached.kill('SIGKILL', { grace: Number.POSITIVE_INFINITY }), 15_000, 'attached SIGKILL');
  expectAllGone(readReport(report), 'ignore-term');
  const result = await bounded(tree.done, 10_000, "the spawner's done");
  assert.equal(result.signal, 'SIGKILL');
});

test('done of an attached corral resolves when the tree ends by itself', async (t) => {
  const { tree, report } = await start(t, 'sh', ['-c', `${fixture('forever')} & read line; kill $!`], 1, {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  const attached = await attach(tree.id);
  const done = attached.done; // its waiter starts now, while the tree still runs
  assert.equal(attached.pids().length, 2, 'sh and its child');
  tree.stdin?.end('go\n'); // sh kills its child and exits: the tree ends without anyone killing it
  await bounded(done, 10_000, 'the attached done');
  expectAllGone(readReport(report), 'the tree');
  const result = await tree.done;
  assert.deepEqual([result.exitCode, result.killed], [0, false]);
  assert.deepEqual(attached.pids(), []);
});

const stopMessage =
  'A corral attached from outside can be sent HUP, INT, QUIT, TERM, USR1, USR2, WINCH or KILL, got signal 19: any other would reach only its reaper.';

test('kill(SIGSTOP) through attach rejects with CORRAL_ERR_INVALID_OPTION and leaves the tree untouched', async (t) => {
  const { tree, procs } = await start(t, fixture('forever'), [], 1);
  const attached = await attach(tree.id);
  await assert.rejects(attached.kill('SIGSTOP'), (error: unknown) => {
    assert.ok(error instanceof InvalidOptionError);
    assert.equal(error.code, 'CORRAL_ERR_INVALID_OPTION');
    assert.equal(error.option, 'signal');
    assert.equal(error.message, stopMessage);
    return true;
  });
  await assert.rejects(attached.kill('SIGNOPE'), { code: 'CORRAL_ERR_INVALID_OPTION', name: 'InvalidOptionError' });
  for (const p of procs) assert.ok(isAlive(p) && procState(p) !== 'T', `${p.pid} runs, not stopped`);
});

test('signal(SIGSTOP) through attach returns a promise rejected with CORRAL_ERR_INVALID_OPTION', {}, async (t) => {
  const { tree } = await start(t, fixture('forever'), [], 1);
  const attached = await attach(tree.id);
  let returned: Promise<void> | undefined;
  assert.doesNotThrow(() => {
    returned = attached.signal('SIGSTOP');
  }, 'signal() does not throw');
  await assert.rejects(returned as Promise<void>, { code: 'CORRAL_ERR_INVALID_OPTION', message: stopMessage });
});

test('a rejected kill() starts nothing: no helper process is left waiting for the tree', async (t) => {
  const { tree } = await start(t, fixture('forever'), [], 1);
  const attached = await attach(tree.id);
  assert.deepEqual(helpersOf(tree.reaperPid), [], 'no helper before');
  await assert.rejects(attached.kill('SIGSTOP'), { code: 'CORRAL_ERR_INVALID_OPTION' });
  assert.deepEqual(helpersOf(tree.reaperPid), [], 'no helper after the rejection');
});
