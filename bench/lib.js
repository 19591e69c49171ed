// Shared by the benchmarks: statistics, bounded waits, /proc readers, and the only way this
// bench ever signals a process it did not start itself (pidfd + start-time check).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../', import.meta.url));

// ---- statistics -----------------------------------------------------------

export function quantile(values, q) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
export const median = (values) => quantile(values, 0.5);
export const p90 = (values) => quantile(values, 0.9);
export const round = (x, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

// ---- bounded waiting --------------------------------------------------------

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or a rejection naming `what` after `ms`: no wait in this bench is unbounded. */
export function guard(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang guard: ${what} took more than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `check` every `interval` ms until it returns a truthy value (returned), at most `bound` ms. */
export async function waitFor(check, { bound, interval = 5, what }) {
  const deadline = performance.now() + bound;
  for (;;) {
    const value = check();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`hang guard: ${what} not within ${bound} ms`);
    await sleep(interval);
  }
}

// ---- /proc ------------------------------------------------------------------

/** { pid, comm, state, start } from /proc/PID/stat (start = field 22), or null if gone. */
export function readStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' '); // fields[0] is field 3
  return { pid, comm: text.slice(text.indexOf('(') + 1, close), state: fields[0], start: Number(fields[19]) };
}

/** Direct children of a single-threaded process, from /proc/PID/task/PID/children. */
export function childrenOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Whether the process named by pid + start time still exists and is not a zombie. */
export function alive(proc) {
  const stat = readStat(proc.pid);
  return stat !== null && stat.start === proc.start && stat.state !== 'Z';
}

export function vmRssKiB(pid) {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]);
}

// ---- the 1000-sleep tree of the kill benches (kill.js, levels.js) ------------

/** One sh with `n` `sleep 1000` children; it says "ready" once it has forked them all. */
export const treeScript = (n) => `i=0; while [ $i -lt ${n} ]; do sleep 1000 & i=$((i+1)); done; echo ready; wait`;

/** Resolves once `stream` has said "ready"; every byte after it is drained. */
function readyLine(stream) {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.setEncoding('latin1');
    stream.on('data', (chunk) => {
      text += chunk;
      if (text.includes('ready\n')) resolve();
    });
    stream.on('end', () => reject(new Error('tree exited before it was ready')));
  });
}

/**
 * Waits until sh has N children that have all exec'd `sleep`, counted from
 * /proc/SH/task/SH/children; returns every member as { pid, start } (sh first).
 */
export async function treeReady(shPid, n, stdout) {
  await guard(readyLine(stdout), 60_000, `a tree of ${n} to fork`);
  return waitFor(
    () => {
      const kids = childrenOf(shPid);
      if (kids.length !== n) return null;
      const stats = kids.map(readStat);
      if (stats.some((s) => s === null || s.comm !== 'sleep')) return null;
      const sh = readStat(shPid);
      return sh && [sh, ...stats].map(({ pid, start }) => ({ pid, start }));
    },
    { bound: 10_000, interval: 5, what: `${n} sleep processes to be alive` },
  );
}

/** Sync sleep for signal-time clean-up, where nothing can be awaited. */
export const blockFor = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

// ---- building C helpers -----------------------------------------------------

const work = mkdtempSync(join(tmpdir(), 'corral-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

/** Compiles test/fixtures/<name>.c into a temporary directory; returns the binary's path. */
export function buildFixture(name) {
  const out = join(work, name);
  const src = join(root, 'test', 'fixtures', `${name}.c`);
  const cc = spawnSync('cc', ['-O2', '-pthread', '-o', out, src], { encoding: 'utf8' });
  if (cc.error || cc.status !== 0) throw new Error(`cc ${src}: ${cc.error?.message ?? cc.stderr}`);
  return out;
}

let pidfdKill;

/**
 * SIGKILLs exactly these processes: pidfd_open, re-check the start time, pidfd_send_signal
 * (test/fixtures/pidfd-kill.c). A pid that now names someone else is left alone. Returns the
 * number actually killed.
 */
export function killVerified(procs) {
  if (procs.length === 0) return 0;
  pidfdKill ??= buildFixture('pidfd-kill');
  let killed = 0;
  for (let i = 0; i < procs.length; i += 500) {
    const args = procs.slice(i, i + 500).map((p) => `${p.pid}:${p.start}`);
    const run = spawnSync(pidfdKill, args, { encoding: 'utf8' });
    if (run.error || run.status !== 0) throw new Error(`pidfd-kill: ${run.error?.message ?? run.stderr}`);
    killed += run.stdout.split('\n').filter((line) => line.startsWith('killed ')).length;
  }
  return killed;
}

// ---- clean-up that also runs on SIGINT/SIGTERM ------------------------------

const cleanups = new Set();

/** Registers a synchronous clean-up; returns a function that runs and unregisters it. */
export function onCleanup(fn) {
  cleanups.add(fn);
  return () => {
    if (cleanups.delete(fn)) fn();
  };
}

export function runAllCleanups() {
  for (const fn of [...cleanups]) {
    cleanups.delete(fn);
    try {
      fn();
    } catch (error) {
      process.stderr.write(`bench clean-up: ${error.message}\n`);
    }
  }
}
