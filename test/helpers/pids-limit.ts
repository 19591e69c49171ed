// Fork-heavy fixtures run inside a limit. As root: a fresh cgroup v1 pids group that the
// fixture joins itself (writes its pid to cgroup.procs before forking), removed afterwards.
// Unprivileged: cgroupfs is not ours, so the fixture sets RLIMIT_NPROC instead.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killVerified } from './cleanup.js';
import type { Proc } from './fixtures.js';
import { readStat, tasksOfUser } from './proc.js';
import { waitFor } from './wait.js';

const pidsRoot = '/sys/fs/cgroup/pids';
let groups = 0;

export interface PidsLimit {
  kind: 'cgroup' | 'rlimit';
  /** Merge into the fixture's environment; fixtures read CORRAL_TEST_CGROUP_PROCS / CORRAL_TEST_NPROC. */
  env: Record<string, string>;
  /** Processes in the group now ([] for 'rlimit', which has no group). */
  members(): Proc[];
}

/**
 * Runs `fn` with a limit of about `max` processes for whatever joins it, then removes it,
 * killing members first. 'rlimit' counts every task of the real uid (threads too), so the
 * limit is set to the uid's current task count plus `max`.
 */
export async function withPidsLimit<T>(max: number, fn: (limit: PidsLimit) => Promise<T>): Promise<T> {
  if (process.geteuid?.() !== 0) {
    const nproc = tasksOfUser(process.getuid?.() ?? -1) + max;
    return fn({ kind: 'rlimit', env: { CORRAL_TEST_NPROC: String(nproc) }, members: () => [] });
  }
  const dir = join(pidsRoot, `corral-test-${process.pid}-${++groups}`);
  const name = dir.slice(pidsRoot.length); // as it appears in /proc/PID/cgroup
  mkdirSync(dir);
  try {
    writeFileSync(join(dir, 'pids.max'), String(max));
    const members = (): Proc[] => groupMembers(dir, name);
    return await fn({ kind: 'cgroup', env: { CORRAL_TEST_CGROUP_PROCS: join(dir, 'cgroup.procs') }, members });
  } finally {
    await removeGroup(dir, name);
  }
}

function groupMembers(dir: string, name: string): Proc[] {
  const pids = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  return pids.flatMap((pid) => {
    const stat = readStat(pid);
    // Start time first, then membership: if the pid is still in our group after its start
    // time was read, that start time is the member's (killVerified re-checks it via pidfd).
    return stat !== null && isMember(pid, name) ? [{ pid, start: stat.start }] : [];
  });
}

function isMember(pid: number, name: string): boolean {
  try {
    return /^\d+:pids:(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, 'utf8'))?.[1] === name;
  } catch {
    return false; // gone
  }
}

async function removeGroup(dir: string, name: string): Promise<void> {
  if (!existsSync(dir)) return;
  // pids.max 0 stops every further fork, so one kill pass cannot be outrun by a storm.
  writeFileSync(join(dir, 'pids.max'), '0');
  await waitFor(
    () => {
      killVerified(groupMembers(dir, name));
      try {
        rmdirSync(dir);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EBUSY') return false; // members still exiting
        throw error;
      }
    },
    { bound: 10_000, what: `pids cgroup ${dir} to empty and be removed` },
  );
}
