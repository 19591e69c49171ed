// 8. The containment levels against what the kernel (or a namespace tool) does by itself:
//    (a) kill of N sleeping processes, `level: 'cgroup'` vs a hand-made group's cgroup.kill;
//    (b) the same, `level: 'sandbox'` vs SIGKILL to the init of an `unshare` pid namespace;
//    (c) spawn→done of `true` at each level, and the sandbox's start-up vs unshare and bwrap.
// The tree is the one of bench/kill.js: one sh with N `sleep 1000` children.
import { spawn as spawnChild, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, watch as watchFile, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from '../dist/index.js';
import {
  alive,
  blockFor,
  childrenOf,
  guard,
  killVerified,
  median,
  onCleanup,
  p90,
  readStat,
  sleep,
  treeReady,
  treeScript,
  waitFor,
} from './lib.js';

const N = 1000;
const KILL_REPS = 5;
const SPAWN_REPS = 30;
const SPAWN_WARMUP = 3;
const SPACED_REPS = 15;
const SPACED_GAP = 25; // ms idle before each run: a spawn on its own, as most are (see the note)
const CGROUP2 = '/sys/fs/cgroup/unified';
const KILL_BOUND = 30_000;
const SANDBOX_TARGET = 1.5; // a soft goal for the sandbox's start-up vs a bare namespace tool

const asRoot = process.getuid?.() === 0;
// Closest to corral's sandbox (user + pid + mount namespaces, a fresh /proc), for a caller of any uid.
const UNSHARE_USER = ['--user', '--map-root-user', '--pid', '--fork', '--mount-proc'];
const UNSHARE_ROOT = ['--pid', '--fork', '--mount-proc'];

/** Every group a tree of ours had: each must be gone when the measurement ends. */
const ourGroups = new Set();

const procOf = (pid) => {
  const st = readStat(pid);
  return st ? { pid: st.pid, start: st.start } : null;
};

// ---- (a, b) corral kill at cgroup or sandbox level ---------------------------

async function corralKill(level, n) {
  const tree = await spawn('sh', ['-c', treeScript(n)], { stdio: ['ignore', 'pipe', 'ignore'], level });
  if (tree.level !== level) throw new Error(`asked for ${level}, got ${tree.level}`);
  if (tree.cgroup) ourGroups.add(tree.cgroup);
  let finished = false;
  tree.done.then(() => (finished = true)).catch(() => {});
  const init = level === 'sandbox' ? procOf(tree.initPid) : null;
  let procs = [];
  // Interrupted: the reaper sees its control socket close and kills the tree itself; this is the backstop.
  const cleanup = onCleanup(() => killVerified([...(init ? [init] : []), ...procs].filter(alive)));
  try {
    procs = await treeReady(tree.pid, n, tree.stdout);
    const start = performance.now();
    let error = null;
    try {
      await guard(tree.kill('SIGKILL'), KILL_BOUND, `corral ${level} kill of ${n}`);
    } catch (e) {
      // As bench/kill.js: a ReaperError with every member gone is a lost 'empty' event, not a leak.
      if (e.name !== 'ReaperError' || procs.some(alive)) throw e;
      error = e.message;
    }
    const ms = performance.now() - start;
    return {
      ms,
      left: procs.filter(alive).length + (init && alive(init) ? 1 : 0),
      groupLeft: tree.cgroup ? existsSync(tree.cgroup) : false,
      error,
    };
  } finally {
    if (!finished) await guard(tree.kill('SIGKILL'), 10_000, 'corral clean-up kill').catch(() => {});
    cleanup();
  }
}

// ---- (a) the kernel's cgroup.kill on a group made by hand -------------------

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
  const dir = join(CGROUP2, `corral-bench-${process.pid}-levels-${++groups}`);
  mkdirSync(dir);
  ourGroups.add(dir);
  const cleanup = onCleanup(() => removeCgroupSync(dir));
  const events = join(dir, 'cgroup.events');
  let watcher;
  try {
    // The shell joins the group itself, before it forks anything.
    const child = spawnChild('sh', ['-c', `echo $$ > "$0" || exit 1; ${treeScript(n)}`, join(dir, 'cgroup.procs')], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const exited = new Promise((resolve) => child.on('exit', () => resolve(performance.now())));
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
    const unpopulated = await guard(empty, KILL_BOUND, `cgroup.kill of ${n}`);
    const reaped = await guard(exited, 10_000, 'sh to be reaped');
    // Off the clock, but not onto the next run's: pid 1 here reaps its orphans only every ~2 s.
    await waitFor(() => procs.every((p) => readStat(p.pid)?.start !== p.start), {
      bound: 30_000,
      interval: 20,
      what: `pid 1 to reap the ${n} orphans of cgroup.kill`,
    });
    // The brief's clock: the group unpopulated *and* sh reaped by its parent (this process);
    // the 1000 orphaned sleeps are reaped by pid 1, off the clock (as in bench/kill.js).
    return {
      ms: Math.max(unpopulated, reaped) - start,
      populatedMs: unpopulated - start,
      left: procs.filter(alive).length,
    };
  } finally {
    watcher?.close();
    cleanup(); // kills what is left (only ours: the group is fresh) and removes the group
  }
}

// ---- (b) SIGKILL to the init of an unshare'd pid namespace ------------------

async function unshareKill(n) {
  const child = spawnChild('unshare', [...UNSHARE_USER, '--kill-child', 'sh', '-c', treeScript(n)], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exited = new Promise((resolve) => child.on('exit', () => resolve(performance.now())));
  let procs = [];
  let init = null;
  const cleanup = onCleanup(() => killVerified([...(init ? [init] : []), ...procs].filter(alive)));
  try {
    // unshare forks once: its only child is the init (sh, pid 1 inside), the parent of every sleep.
    const initPid = await waitFor(
      () => {
        const kids = childrenOf(child.pid);
        return kids.length === 1 && readStat(kids[0])?.comm === 'sh' ? kids[0] : null;
      },
      { bound: 10_000, what: 'the unshare init' },
    );
    init = procOf(initPid);
    procs = await treeReady(initPid, n, child.stdout);
    // Verified just before the signal: same pid, same start time, still unshare's child. The init
    // cannot end on its own (it waits for 1000 sleeps), so the pid cannot be reused in between.
    // A direct kill(2): a pidfd helper (killVerified) would put a process start on the clock.
    const stat = readFileSync(`/proc/${initPid}/stat`, 'latin1');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (readStat(initPid)?.start !== init.start || ppid !== child.pid) throw new Error('the unshare init changed');
    const start = performance.now();
    process.kill(initPid, 'SIGKILL');
    const end = await guard(exited, KILL_BOUND, `SIGKILL of the unshare init of ${n}`);
    return { ms: end - start, left: procs.filter(alive).length + (alive(init) ? 1 : 0) };
  } finally {
    cleanup();
  }
}

// ---- (c) spawn→done of `true` -------------------------------------------------

async function corralTrue(level) {
  const start = performance.now();
  const tree = await guard(spawn('true', [], { stdio: 'ignore', level }), 5000, `corral ${level} spawn of true`);
  if (tree.cgroup) ourGroups.add(tree.cgroup);
  const result = await guard(tree.done, 5000, `corral ${level} true to be done`);
  const ms = performance.now() - start;
  if (result.exitCode !== 0) throw new Error(`${level}: true exited ${result.exitCode} ${result.signal}`);
  return ms;
}

function commandTrue(file, args) {
  const start = performance.now();
  const run = new Promise((resolve, reject) => {
    const child = spawnChild(file, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve(performance.now() - start) : reject(new Error(`${file} ${args}: ${code ?? signal}`)),
    );
  });
  return guard(run, 5000, `${file} true`);
}

// ---- the measurement ---------------------------------------------------------

const ms = (x) => `${x.toFixed(1)} ms`;
const ms2 = (x) => `${x.toFixed(2)} ms`;

export async function measure() {
  const rows = [];
  const notes = [];
  const raw = { n: N };

  // (a) and (b): interleaved, alternating which goes first.
  const kills = { cgroup: [], cgroupKill: [], sandbox: [], unshare: [] };
  const order = [
    async () => kills.cgroup.push(await corralKill('cgroup', N)),
    async () => kills.cgroupKill.push(await cgroupKill(N)),
    async () => kills.sandbox.push(await corralKill('sandbox', N)),
    async () => kills.unshare.push(await unshareKill(N)),
  ];
  for (let rep = 0; rep < KILL_REPS; rep++) {
    for (let k = 0; k < order.length; k++) await order[(rep + k) % order.length]();
  }
  raw.kill = kills;
  const med = (runs, key = 'ms') => median(runs.map((r) => r[key]));
  const leftText = (runs) => {
    const left = runs.reduce((sum, r) => sum + r.left, 0);
    const groupsLeft = runs.filter((r) => r.groupLeft).length;
    const errors = runs.filter((r) => r.error).length;
    return (
      (left ? `, ${left} LEFT` : '') +
      (groupsLeft ? `, ${groupsLeft} group(s) LEFT` : '') +
      (errors ? `, ${errors}/${runs.length} rejected` : '')
    );
  };
  const range = (runs) =>
    `${Math.min(...runs.map((r) => r.ms)).toFixed(0)}–${Math.max(...runs.map((r) => r.ms)).toFixed(0)}`;
  rows.push({
    measurement: `kill ${N}, level cgroup (median of ${KILL_REPS})`,
    corral: `${ms(med(kills.cgroup))} [${range(kills.cgroup)}]${leftText(kills.cgroup)}`,
    alternative: `${ms(med(kills.cgroupKill))} [${range(kills.cgroupKill)}] cgroup.kill`,
    ratio: med(kills.cgroup) / med(kills.cgroupKill),
    target: 1.2,
  });
  rows.push({
    measurement: `kill ${N}, level sandbox (median of ${KILL_REPS})`,
    corral: `${ms(med(kills.sandbox))} [${range(kills.sandbox)}]${leftText(kills.sandbox)}`,
    alternative: `${ms(med(kills.unshare))} [${range(kills.unshare)}] unshare init`,
    ratio: med(kills.sandbox) / med(kills.unshare),
    target: 1.2,
  });
  for (const r of [...kills.cgroup, ...kills.sandbox])
    if (r.error) notes.push(`* levels: tree.kill() rejected although every member was gone: ${r.error}`);
  notes.push(
    `levels kill: corral until kill() resolves (all ${N + 1} reaped by the reaper, group removed); cgroup.kill until ` +
      `cgroup.events says populated 0 and sh is reaped (median ${ms(med(kills.cgroupKill, 'populatedMs'))} to ` +
      `populated 0; the ${N} orphaned sleeps are reaped by pid 1 off the clock); unshare (${UNSHARE_USER.join(' ')}) ` +
      `until unshare exits (the dying init has reaped its namespace); [min–max]`,
  );

  // (c) spawn→done of `true`.
  const bwrap = spawnSync('sh', ['-c', 'command -v bwrap'], { encoding: 'utf8' }).stdout.trim();
  const runners = {
    track: () => corralTrue('track'),
    cgroup: () => corralTrue('cgroup'),
    sandbox: () => corralTrue('sandbox'),
    unshareUser: () => commandTrue('unshare', [...UNSHARE_USER, 'true']),
    ...(asRoot ? { unshareRoot: () => commandTrue('unshare', [...UNSHARE_ROOT, 'true']) } : {}),
    ...(bwrap ? { bwrap: () => commandTrue(bwrap, ['--unshare-pid', '--ro-bind', '/', '/', 'true']) } : {}),
  };
  const names = Object.keys(runners);
  const times = Object.fromEntries(names.map((name) => [name, []]));
  for (let i = 0; i < SPAWN_WARMUP; i++) for (const name of names) await runners[name]();
  for (let i = 0; i < SPAWN_REPS; i++) {
    // Rotated, so drift and caches hit each alike.
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length];
      times[name].push(await runners[name]());
    }
  }
  raw.spawn = times;
  const m = Object.fromEntries(names.map((name) => [name, median(times[name])]));
  const both = (name) => `${ms2(m[name])} (p90 ${p90(times[name]).toFixed(2)})`;
  const n = `(median of ${SPAWN_REPS})`;
  rows.push({
    measurement: `spawn→done true, cgroup vs track ${n}`,
    corral: both('cgroup'),
    alternative: `${both('track')} track`,
    ratio: m.cgroup / m.track,
    target: null,
  });
  rows.push({
    measurement: `spawn→done true, sandbox vs track ${n}`,
    corral: both('sandbox'),
    alternative: `${both('track')} track`,
    ratio: m.sandbox / m.track,
    target: null,
  });
  if (m.unshareRoot !== undefined) {
    rows.push({
      measurement: `  sandbox vs unshare -fp --mount-proc`,
      corral: both('sandbox'),
      alternative: `${both('unshareRoot')} unshare`,
      ratio: m.sandbox / m.unshareRoot,
      target: SANDBOX_TARGET,
    });
  }
  rows.push({
    measurement: `  sandbox vs unshare --user --map-root-user -fp --mount-proc`,
    corral: both('sandbox'),
    alternative: `${both('unshareUser')} unshare`,
    ratio: m.sandbox / m.unshareUser,
    target: SANDBOX_TARGET,
  });
  if (m.bwrap !== undefined) {
    rows.push({
      measurement: `  sandbox vs bwrap --unshare-pid --ro-bind / /`,
      corral: both('sandbox'),
      alternative: `${both('bwrap')} bwrap`,
      ratio: m.sandbox / m.bwrap,
      target: SANDBOX_TARGET,
    });
  } else {
    notes.push('levels: bwrap is not installed, so no bwrap row: `apt-get install bubblewrap` adds it');
  }
  // The same, each run alone after an idle gap: back to back, a join of cgroup.procs finds the
  // kernel's cgroup_threadgroup_rwsem still in its fast mode from the previous one; alone, it waits.
  const spacedNames = ['track', 'cgroup', 'sandbox', 'unshareUser'];
  const spaced = Object.fromEntries(spacedNames.map((name) => [name, []]));
  for (let i = 0; i < SPACED_REPS; i++) {
    for (let k = 0; k < spacedNames.length; k++) {
      const name = spacedNames[(i + k) % spacedNames.length];
      await sleep(SPACED_GAP);
      spaced[name].push(await runners[name]());
    }
  }
  raw.spawnSpaced = { gapMs: SPACED_GAP, ...spaced };
  const s = Object.fromEntries(spacedNames.map((name) => [name, median(spaced[name])]));
  const sboth = (name) => `${ms2(s[name])} (p90 ${p90(spaced[name]).toFixed(2)})`;
  const sn = `(${SPACED_GAP} ms apart, median of ${SPACED_REPS})`;
  rows.push({
    measurement: `spawn→done true, cgroup vs track ${sn}`,
    corral: sboth('cgroup'),
    alternative: `${sboth('track')} track`,
    ratio: s.cgroup / s.track,
    target: null,
  });
  rows.push({
    measurement: `  sandbox vs unshare --user … ${sn}`,
    corral: sboth('sandbox'),
    alternative: `${sboth('unshareUser')} unshare`,
    ratio: s.sandbox / s.unshareUser,
    target: SANDBOX_TARGET,
  });
  notes.push(
    "levels spawn: each timed from spawn() to the tree's `done` (corral) or the child's exit event (unshare, bwrap), " +
      `in the same run, rotated, back to back or ${SPACED_GAP} ms apart; the sandbox rows' target (${SANDBOX_TARGET}x) is a soft goal`,
  );

  // Nothing of ours may be left: every group a tree of ours had is gone.
  const leftGroups = [...ourGroups].filter((dir) => existsSync(dir));
  raw.groupsChecked = ourGroups.size;
  raw.groupsLeft = leftGroups;
  if (leftGroups.length > 0) throw new Error(`groups left behind: ${leftGroups.join(' ')}`);
  notes.push(`levels: all ${ourGroups.size} groups of its trees were gone afterwards`);
  return { raw, rows, notes };
}
