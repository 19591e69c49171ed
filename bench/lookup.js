// 6. Lookups from /proc, no daemon. ownerOf(pid) of a process 20 levels deep (chain fixture):
// repeated (cached) and first (cold: the first lookup of each of many distinct deep pids), next to
// a `ps -o ppid= -p PID` walk up to the reaper and pidtree (one `ps -A` table, walked) measured in
// the same run; list() with 100 live corrals of 10 processes; pids() of a 1000-process tree.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pidtree from 'pidtree';
import { list, ownerOf, spawn } from '../dist/index.js';
import { alive, buildFixture, guard, killVerified, median, onCleanup, p90, waitFor } from './lib.js';

const DEPTH = 20;
const CHAINS = 30; // cold lookups: one per chain (its deepest pid), after a warm-up chain
const REPEATS = 100; // cached lookups per deep pid
const PS_WALKS = 5; // a ps walk is ~20 ps runs
const PIDTREE_LOOKUPS = 10;
const CORRALS = 100;
const WIDE = 9; // wide 9: main + 9 children = 10 processes
const LIST_RUNS = 30;
const BIG = 999; // wide 999: 1000 processes
const PIDS_RUNS = 30;
const ALT_RUNS = 10;

const us = (ms) => `${(ms * 1000).toFixed(1)} µs`;
const msText = (ms) => `${ms.toFixed(2)} ms`;

const work = mkdtempSync(join(tmpdir(), 'corral-bench-lookup-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
let reports = 0;

/** Every { pid, start } a fixture reported to `path`, report order (parents before children). */
function readReport(path) {
  let text;
  try {
    text = readFileSync(path, 'latin1');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [, pid, start] = line.split(' ');
      return { pid: Number(pid), start: Number(start) };
    });
}

/**
 * Starts `count` corrals of `file args`, each reporting to its own file, and waits until each has
 * reported `each` processes. `run(trees)` measures; then every tree is killed (and whatever was
 * reported is SIGKILLed by pidfd should a kill fail, or should the bench be interrupted).
 */
async function withTrees(count, file, args, each, run) {
  const trees = [];
  const paths = [];
  const everyone = () => paths.flatMap(readReport);
  const cleanup = onCleanup(() => killVerified(everyone().filter(alive)));
  try {
    for (let i = 0; i < count; i++) {
      const path = join(work, `report-${++reports}`);
      writeFileSync(path, '');
      paths.push(path);
      trees.push(await spawn(file, args, { stdio: 'ignore', env: { ...process.env, CORRAL_TEST_REPORT: path } }));
    }
    const procs = await waitFor(
      () => {
        const got = paths.map(readReport);
        return got.every((p) => p.length >= each) && got;
      },
      { bound: 60_000, interval: 10, what: `${count} trees of ${each} processes to report` },
    );
    return await run(trees, procs);
  } finally {
    await guard(
      Promise.allSettled(trees.map((tree) => tree.kill('SIGKILL'))),
      60_000,
      `killing ${trees.length} trees`,
    ).catch(() => {});
    cleanup();
  }
}

// ---- ownerOf ----------------------------------------------------------------------------

/** `ps -o ppid= -p PID`, one run per level, up to the known reaper pid (no identity check: generous). */
function psWalk(pid, reaperPid) {
  let steps = 0;
  for (let p = pid; p !== reaperPid; steps++) {
    if (steps > 64) throw new Error(`ps walk from ${pid}: more than 64 levels`);
    const out = spawnSync('ps', ['-o', 'ppid=', '-p', String(p)], { encoding: 'latin1' }).stdout.trim();
    if (out === '' || Number(out) <= 1) return null; // not under that reaper
    p = Number(out);
  }
  return steps;
}

/** pidtree's table of every (ppid, pid), walked up from pid to one of the known reapers. */
async function pidtreeLookup(pid, reapers) {
  const table = await guard(pidtree(-1, { advanced: true }), 10_000, 'pidtree');
  const parents = new Map(table.map((e) => [e.pid, e.ppid]));
  for (let p = pid, i = 0; p > 1 && i < 4096; p = parents.get(p) ?? 0, i++) if (reapers.has(p)) return p;
  return null;
}

function timed(fn) {
  const start = performance.now();
  const value = fn();
  return [performance.now() - start, value];
}

function checkOwner(owner, tree, pid) {
  if (owner?.corral.id !== tree.id || owner.path.length !== DEPTH + 1 || owner.path[0] !== pid)
    throw new Error(`ownerOf(${pid}) is wrong: ${JSON.stringify(owner)}`);
}

async function measureOwner() {
  const chain = buildFixture('chain');
  return withTrees(CHAINS + 1, chain, [String(DEPTH)], DEPTH, async (trees, procs) => {
    // Warm-up (JIT, page cache), on its own chain: each of its pids is looked up once (cold walks
    // of every depth), then the deepest one repeatedly. The measured chains' pids stay uncached.
    const [warmTree, ...measured] = trees;
    const [warmProcs, ...measuredProcs] = procs;
    for (const p of warmProcs) ownerOf(p.pid);
    for (let i = 0; i < 1000; i++) ownerOf(warmProcs[DEPTH - 1].pid);
    checkOwner(ownerOf(warmProcs[DEPTH - 1].pid), warmTree, warmProcs[DEPTH - 1].pid);
    const reapers = new Set(trees.map((t) => t.reaperPid));
    const cold = [];
    const cached = [];
    const ps = [];
    const pidtreeMs = [];
    for (let i = 0; i < measured.length; i++) {
      const tree = measured[i];
      const deep = measuredProcs[i][DEPTH - 1].pid;
      const [coldMs, owner] = timed(() => ownerOf(deep));
      checkOwner(owner, tree, deep);
      cold.push(coldMs);
      for (let r = 0; r < REPEATS; r++) {
        const [ms, again] = timed(() => ownerOf(deep));
        if (again !== owner) checkOwner(again, tree, deep);
        cached.push(ms);
      }
      if (i < PS_WALKS) {
        const [ms, steps] = timed(() => psWalk(deep, tree.reaperPid));
        if (steps !== DEPTH) throw new Error(`ps walk from ${deep}: ${steps} steps, expected ${DEPTH}`);
        ps.push(ms);
      }
      if (i < PIDTREE_LOOKUPS) {
        const start = performance.now();
        const found = await pidtreeLookup(deep, reapers);
        pidtreeMs.push(performance.now() - start);
        if (found !== tree.reaperPid) throw new Error(`pidtree walk from ${deep} found ${found}`);
      }
    }
    return { cold, cached, ps, pidtree: pidtreeMs };
  });
}

// ---- list() -----------------------------------------------------------------------------

async function measureList() {
  const wide = buildFixture('wide');
  return withTrees(CORRALS, wide, [String(WIDE)], WIDE + 1, async (trees) => {
    const ids = new Set(trees.map((t) => t.id));
    const ours = () => list().filter((c) => ids.has(c.id));
    const shown = ours();
    if (shown.length !== CORRALS || shown.some((c) => c.processes !== WIDE + 1))
      throw new Error(
        `list() shows ${shown.length} of our ${CORRALS} corrals, members ${shown.map((c) => c.processes)}`,
      );
    for (let i = 0; i < 3; i++) list();
    const corral = [];
    const ps = [];
    for (let i = 0; i < LIST_RUNS; i++) {
      corral.push(timed(() => list())[0]);
      if (i % 3 === 0 && ps.length < ALT_RUNS) {
        const [ms, run] = timed(() => spawnSync('ps', ['-e', '-o', 'pid,ppid,rss,time,args'], { encoding: 'latin1' }));
        if (run.status !== 0) throw new Error(`ps -e exited ${run.status}`);
        ps.push(ms);
      }
    }
    return { corral, ps };
  });
}

// ---- pids() -----------------------------------------------------------------------------

async function measurePids() {
  const wide = buildFixture('wide');
  return withTrees(1, wide, [String(BIG)], BIG + 1, async ([tree]) => {
    if (tree.pids().length !== BIG + 1) throw new Error(`pids() has ${tree.pids().length}, expected ${BIG + 1}`);
    for (let i = 0; i < 3; i++) tree.pids();
    const corral = [];
    const alt = [];
    for (let i = 0; i < PIDS_RUNS; i++) {
      corral.push(timed(() => tree.pids())[0]);
      if (i % 3 === 0 && alt.length < ALT_RUNS) {
        const start = performance.now();
        const got = await guard(pidtree(tree.pid, { root: true }), 10_000, 'pidtree');
        alt.push(performance.now() - start);
        if (got.length !== BIG + 1) throw new Error(`pidtree found ${got.length}, expected ${BIG + 1}`);
      }
    }
    return { corral, pidtree: alt };
  });
}

// ---- the measurement ----------------------------------------------------------------------

export async function measure() {
  const owner = await measureOwner();
  const listing = await measureList();
  const pids = await measurePids();
  const cachedMs = median(owner.cached);
  const coldMs = median(owner.cold);
  const psMs = median(owner.ps);
  const pidtreeMs = median(owner.pidtree);
  const listMs = median(listing.corral);
  const pidsMs = median(pids.corral);
  const rows = [
    {
      measurement: `ownerOf ${DEPTH} deep, repeated (cached) median (n=${owner.cached.length})`,
      corral: us(cachedMs),
      alternative: `${msText(psMs)} \`ps -o ppid=\` walk`,
      ratio: cachedMs / psMs,
      target: { text: '≤ 25 µs', ok: cachedMs * 1000 <= 25 },
    },
    {
      measurement: `  same, vs pidtree (info)`,
      corral: us(cachedMs),
      alternative: `${msText(pidtreeMs)} pidtree + walk`,
      ratio: cachedMs / pidtreeMs,
      target: null,
    },
    {
      measurement: `ownerOf ${DEPTH} deep, first (cold) lookup median (n=${owner.cold.length} pids)`,
      corral: `${us(coldMs)} (p90 ${us(p90(owner.cold))})`,
      alternative: `${msText(psMs)} \`ps -o ppid=\` walk`,
      ratio: coldMs / psMs,
      target: { text: '≤ 1 ms', ok: coldMs <= 1 },
    },
    {
      measurement: `  same, vs pidtree (info)`,
      corral: us(coldMs),
      alternative: `${msText(pidtreeMs)} pidtree + walk`,
      ratio: coldMs / pidtreeMs,
      target: null,
    },
    {
      measurement: `list(), ${CORRALS} corrals × ${WIDE + 1} processes, median (n=${listing.corral.length})`,
      corral: msText(listMs),
      alternative: `${msText(median(listing.ps))} one \`ps -e\` table`,
      ratio: listMs / median(listing.ps),
      target: { text: '≤ 50 ms', ok: listMs <= 50 },
    },
    {
      measurement: `pids() of a ${BIG + 1}-process tree, median (n=${pids.corral.length})`,
      corral: msText(pidsMs),
      alternative: `${msText(median(pids.pidtree))} pidtree`,
      ratio: pidsMs / median(pids.pidtree),
      target: { text: '≤ 20 ms', ok: pidsMs <= 20 },
    },
  ];
  const notes = [
    `lookup: the ps walk runs \`ps -o ppid= -p PID\` once per level and stops at the known reaper pid; pidtree ` +
      `(one \`ps -A -o ppid,pid\` table) is walked up to a known reaper: both are told where to stop, which ` +
      `ownerOf has to find out (comm + argv). ps walks n=${owner.ps.length}, pidtree n=${owner.pidtree.length}, ` +
      `\`ps -e\` n=${listing.ps.length}, pidtree(main) n=${pids.pidtree.length}`,
  ];
  return { raw: { depth: DEPTH, owner, list: listing, pids }, rows, notes };
}
