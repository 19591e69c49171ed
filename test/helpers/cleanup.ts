// Asserting that trees are gone, and removing what a failed test left, without ever
// signalling a stranger. Node has no pidfd API, so killing goes through the pidfd-kill
// fixture: pidfd_open(pid), re-check the start time, pidfd_send_signal. Once the start time
// matches after the pidfd exists, the pidfd is that process; a reused pid cannot be hit.
// (Residual limit: start times tick at 1/100 s, so a pid reused within the same tick would
// pass; that needs pid_max pids to cycle in 10 ms, far beyond these trees.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fixture, type Proc, unique } from './fixtures.js';
import { procState } from './proc.js';
import { waitFor } from './wait.js';

/** The given processes that still exist, with their state ('Z' = zombie). */
export function survivors(procs: readonly Proc[]): (Proc & { state: string })[] {
  return unique(procs).flatMap((p) => {
    const state = procState(p);
    return state === null ? [] : [{ ...p, state }];
  });
}

/** Asserts that none of `procs` exists any more: no process and no zombie. */
export function expectAllGone(procs: readonly Proc[], what = 'the tree'): void {
  const left = survivors(procs);
  assert.deepEqual(left, [], `${what}: ${left.length} of ${unique(procs).length} processes left (state Z = zombie)`);
}

/** SIGKILLs exactly these processes (pid + start time verified through a pidfd); returns those hit. */
export function killVerified(procs: readonly Proc[]): Proc[] {
  const targets = unique(procs);
  if (targets.length === 0) return [];
  const run = spawnSync(
    fixture('pidfd-kill'),
    targets.map((p) => `${p.pid}:${p.start}`),
    { encoding: 'utf8' },
  );
  if (run.error || run.status !== 0) {
    throw new Error(`pidfd-kill failed: ${run.error?.message ?? run.stderr.trim()} (status ${run.status})`);
  }
  const killed = new Set(
    run.stdout
      .split('\n')
      .filter((l) => l.startsWith('killed '))
      .map((l) => Number(l.slice(7))),
  );
  return targets.filter((p) => killed.has(p.pid));
}

/**
 * For `finally` / `t.after`: SIGKILLs whatever of `procs` is still there and waits until all
 * are gone (zombies reaped by their new parent). Returns what it had to kill, so a test can
 * report a leak. Throws only if something survives, which means the machine needs a look.
 */
export async function safeCleanup(procs: readonly Proc[], { bound = 10_000 } = {}): Promise<Proc[]> {
  const left = survivors(procs);
  if (left.length === 0) return [];
  const killed = killVerified(left);
  try {
    await waitFor(() => survivors(left).length === 0, { bound, what: `${left.length} leftover processes to be gone` });
  } catch (error) {
    throw new Error(`${(error as Error).message}; still there: ${JSON.stringify(survivors(left))}`);
  }
  return killed;
}
