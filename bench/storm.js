// 3. Bounded fork storm: test/fixtures/fork-storm.c under corral, inside a cgroup v1 pids group
// (pids.max 500) that the storm joins itself. Storm 300 ms, kill('SIGKILL'), then: how long
// until the tree is empty, and did the group really empty (pids.current 0)?
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from '../dist/index.js';
import { blockFor, buildFixture, guard, killVerified, median, onCleanup, readStat, sleep, waitFor } from './lib.js';

const RUNS = 10;
const STORM_MS = 300;
const PIDS_MAX = 500;
const PIDS_ROOT = '/sys/fs/cgroup/pids';

const current = (dir) => Number(readFileSync(join(dir, 'pids.current'), 'latin1'));

/** Members of the group as { pid, start }: start read first, then membership re-checked. */
function members(dir) {
  const name = dir.slice(PIDS_ROOT.length);
  const pids = readFileSync(join(dir, 'cgroup.procs'), 'latin1').split('\n').filter(Boolean).map(Number);
  return pids.flatMap((pid) => {
    const stat = readStat(pid);
    let group;
    try {
      group = /^\d+:pids:(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, 'latin1'))?.[1];
    } catch {
      return []; // gone
    }
    return stat && group === name ? [{ pid, start: stat.start }] : [];
  });
}

/** Freezes the group's growth (pids.max 0), kills its members by pidfd, waits until it is empty. */
function drainSync(dir) {
  writeFileSync(join(dir, 'pids.max'), '0');
  for (let i = 0; i < 1000; i++) {
    if (current(dir) === 0) return;
    killVerified(members(dir));
    blockFor(10);
  }
  throw new Error(`${dir} did not empty within 10 s`);
}

function removeGroupSync(dir) {
  try {
    drainSync(dir);
  } finally {
    rmdirSync(dir);
  }
}

async function once(storm, dir, env) {
  const tree = await spawn(storm, [], { stdio: 'ignore', env });
  let finished = false;
  tree.done.then(() => (finished = true)).catch(() => (finished = true));
  try {
    await sleep(STORM_MS);
    const before = current(dir);
    const start = performance.now();
    let error = null;
    try {
      await guard(tree.kill('SIGKILL'), 10_000, 'corral kill of a fork storm');
    } catch (e) {
      error = e.message; // a hang or a ReaperError: reported, and the group is drained below
    }
    const ms = performance.now() - start;
    const after = current(dir);
    return { ms, before, after, contained: after === 0, error };
  } finally {
    if (!finished) await guard(tree.kill('SIGKILL'), 5000, 'clean-up kill').catch(() => {});
    if (current(dir) !== 0) {
      drainSync(dir);
      writeFileSync(join(dir, 'pids.max'), String(PIDS_MAX));
    }
  }
}

export async function measure() {
  const storm = buildFixture('fork-storm');
  const dir = join(PIDS_ROOT, `corral-bench-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir);
  const cleanup = onCleanup(() => removeGroupSync(dir));
  const runs = [];
  try {
    writeFileSync(join(dir, 'pids.max'), String(PIDS_MAX));
    const env = { ...process.env, CORRAL_TEST_CGROUP_PROCS: join(dir, 'cgroup.procs') };
    for (let i = 0; i < RUNS; i++) {
      runs.push(await once(storm, dir, env));
      await waitFor(() => current(dir) === 0, { bound: 5000, what: 'the pids group to be empty' });
    }
  } finally {
    cleanup();
  }
  const contained = runs.filter((r) => r.contained).length;
  const times = runs.map((r) => r.ms);
  const errors = runs.filter((r) => r.error);
  return {
    raw: { pidsMax: PIDS_MAX, stormMs: STORM_MS, runs },
    rows: [
      {
        measurement: `fork storm (pids.max ${PIDS_MAX}, ${STORM_MS} ms), ${RUNS} runs`,
        corral:
          `${contained}/${RUNS} contained, median ${median(times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms` +
          (errors.length ? `, ${errors.length} rejected*` : ''),
        alternative: `median ${median(runs.map((r) => r.before))} procs at kill`,
        ratio: Number.NaN,
        target: { text: `${RUNS}/${RUNS}`, ok: contained === RUNS },
      },
    ],
    notes: errors.map(
      (r) => `* fork storm: tree.kill() ${r.contained ? 'rejected (group empty)' : 'FAILED'}: ${r.error}`,
    ),
  };
}
