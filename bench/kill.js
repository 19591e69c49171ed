// 2. Whole-tree kill of N sleeping processes: corral's kill('SIGKILL') vs the kernel's own
// cgroup.kill vs the tree-kill package. The same tree every time: one sh with N `sleep`
// children, timed from the kill's start until the tree is empty.
import { spawn as spawnChild } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, watch as watchFile, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import treeKill from 'tree-kill';
import { spawn } from '../dist/index.js';
import { alive, blockFor, guard, killVerified, median, onCleanup, sleep, treeReady, treeScript } from './lib.js';

const SIZES = [
  { n: 10, reps: 5 },
  { n: 100, reps: 5 },
  { n: 1000, reps: 3 },
];
const CGROUP2 = '/sys/fs/cgroup/unified';
const KILL_BOUND = 30_000;

// ---- (a) corral -------------------------------------------------------------

async function corralKill(n) {
  const tree = await spawn('sh', ['-c', treeScript(n)], { stdio: ['ignore', 'pipe', 'ignore'] });
  let finished = false;
  tree.done.then(() => (finished = true)).catch(() => {});
  let procs = [];
  // If we are interrupted, the reaper sees its control socket close and kills the tree itself.
  const cleanup = onCleanup(() => killVerified(procs.filter(alive)));
  try {
    procs = await treeReady(tree.pid, n, tree.stdout);
    const start = performance.now();
    let error = null;
    try {
      await guard(tree.kill('SIGKILL'), KILL_BOUND, `corral kill of ${n}`);
    } catch (e) {
      // A ReaperError with every member gone is a lost 'empty' event, not a leak: timed, and counted.
      if (e.name !== 'ReaperError' || procs.some(alive)) throw e;
      error = e.message;
    }
    const ms = performance.now() - start;
    return { ms, left: procs.filter(alive).length, error };
  } finally {
    if (!finished) await guard(tree.kill('SIGKILL'), 10_000, 'corral clean-up kill').catch(() => {});
    cleanup();
  }
}

// ---- (b) cgroup.kill --------------------------------------------------------

let groups = 0;

function removeCgroupSync(dir) {
  for (let i = 0; i < 200; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (error) {
      if (error.code === 'ENOENT') return;
      if (error.code !== 'EBUSY') throw error;
    }
    try {
      writeFileSync(join(dir, 'cgroup.kill'), '1'); // only our tree is in this fresh group
    } catch {}
    blockFor(10);
  }
  throw new Error(`cannot remove ${dir}: still populated`);
}

async function cgroupKill(n) {
  const dir = join(CGROUP2, `corral-bench-${process.pid}-${++groups}`);
  mkdirSync(dir);
  const cleanup = onCleanup(() => removeCgroupSync(dir));
  const events = join(dir, 'cgroup.events');
  let watcher;
  let child;
  try {
    // The shell joins the group itself, before it forks anything.
    child = spawnChild('sh', ['-c', `echo $$ > "$0" || exit 1; ${treeScript(n)}`, join(dir, 'cgroup.procs')], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const procs = await treeReady(child.pid, n, child.stdout);
    const members = readFileSync(join(dir, 'cgroup.procs'), 'latin1').split('\n').filter(Boolean).length;
    if (members !== n + 1) throw new Error(`cgroup holds ${members} processes, expected ${n + 1}`);

    let check;
    const empty = new Promise((resolve) => {
      check = () => {
        if (/^populated 0$/m.test(readFileSync(events, 'latin1'))) resolve(performance.now());
      };
    });
    watcher = watchFile(events, () => check());
    const start = performance.now();
    writeFileSync(join(dir, 'cgroup.kill'), '1');
    check(); // it may have emptied before the watch said so
    const end = await guard(empty, KILL_BOUND, `cgroup.kill of ${n}`);
    const ms = end - start;
    await guard(exited, 10_000, 'sh to be reaped');
    return { ms, left: procs.filter(alive).length };
  } finally {
    watcher?.close();
    cleanup(); // kills what is left (only ours: the group is fresh) and removes the group
  }
}

// ---- (c) tree-kill ------------------------------------------------------------

/** ms from `start` until every one of `procs` is gone or a zombie; null if some outlive `bound` from now. */
async function goneAfter(procs, start, bound) {
  let i = 0; // processes before i are known dead, and dead stays dead
  const deadline = performance.now() + bound;
  for (;;) {
    while (i < procs.length && !alive(procs[i])) i++;
    if (i === procs.length) return performance.now() - start;
    if (performance.now() > deadline) return null;
    await sleep(5);
  }
}

async function treeKillRun(n) {
  const child = spawnChild('sh', ['-c', treeScript(n)], { stdio: ['ignore', 'pipe', 'ignore'] });
  let procs = [];
  const cleanup = onCleanup(() => killVerified(procs.filter(alive)));
  try {
    procs = await treeReady(child.pid, n, child.stdout);
    const start = performance.now();
    await guard(
      new Promise((resolve, reject) => treeKill(child.pid, 'SIGKILL', (error) => (error ? reject(error) : resolve()))),
      KILL_BOUND * 2,
      `tree-kill of ${n}`,
    );
    const callbackMs = performance.now() - start;
    const goneMs = await goneAfter(procs, start, 5000);
    const leaked = procs.filter(alive);
    return { callbackMs, goneMs, leaked: leaked.length };
  } finally {
    cleanup(); // leaks, if any, are killed by pidfd after a start-time check
  }
}

// ---- the measurement ---------------------------------------------------------

export async function measure() {
  const raw = [];
  const rows = [];
  const notes = new Set();
  for (const { n, reps } of SIZES) {
    const runs = { corral: [], cgroupKill: [], treeKill: [] };
    const order = [
      async () => runs.corral.push(await corralKill(n)),
      async () => runs.cgroupKill.push(await cgroupKill(n)),
      async () => runs.treeKill.push(await treeKillRun(n)),
    ];
    for (let rep = 0; rep < reps; rep++) {
      for (let k = 0; k < order.length; k++) await order[(rep + k) % order.length]();
    }
    raw.push({ n, reps, ...runs });
    const corralMs = median(runs.corral.map((r) => r.ms));
    const cgroupMs = median(runs.cgroupKill.map((r) => r.ms));
    const gone = runs.treeKill.map((r) => r.goneMs).filter((ms) => ms !== null);
    const leaked = runs.treeKill.reduce((sum, r) => sum + r.leaked, 0);
    const corralLeft = runs.corral.reduce((sum, r) => sum + r.left, 0);
    const corralErrors = runs.corral.filter((r) => r.error).length;
    for (const r of runs.corral) {
      if (r.error)
        notes.add(`* tree.kill() rejected although every member was gone (timed to the rejection): ${r.error}`);
    }
    rows.push({
      measurement: `kill tree of ${n} (median of ${reps})`,
      corral:
        `${corralMs.toFixed(1)} ms` +
        (corralLeft ? `, ${corralLeft} LEFT` : '') +
        (corralErrors ? `, ${corralErrors}/${reps} rejected*` : ''),
      alternative: `${cgroupMs.toFixed(1)} ms cgroup.kill`,
      ratio: corralMs / cgroupMs,
      target: 1.3,
    });
    rows.push({
      measurement: `  same, vs tree-kill (info)`,
      corral: `${corralMs.toFixed(1)} ms`,
      alternative:
        `${median(runs.treeKill.map((r) => r.callbackMs)).toFixed(1)} ms to callback, ` +
        `${gone.length ? median(gone).toFixed(1) : '—'} ms to gone, ${leaked} leaked`,
      ratio: gone.length ? corralMs / median(gone) : Number.NaN,
      target: null,
    });
  }
  notes.add(
    'kill: corral is timed until kill() resolves (every member reaped; the reaper exits right after); cgroup.kill until ' +
      'cgroup.events says populated 0 (the orphans are reaped later by pid 1, off the clock); tree-kill until its ' +
      'callback, then until every member is gone or a zombie',
  );
  return { raw, rows, notes: [...notes] };
}
