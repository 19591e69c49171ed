// Thin readers of /proc for the tests' own checks. The test never trusts a bare pid:
// a process is "alive" only if /proc/PID/stat exists with the start time it was reported with.
import { readdirSync, readFileSync } from 'node:fs';
import type { Proc } from './fixtures.js';

export interface ProcInfo extends Proc {
  ppid: number;
  /** One letter of /proc/PID/stat field 3: R S D T t Z X … */
  state: string;
}

/** /proc/PID/stat parsed, or null if no such process (now). */
export function readStat(pid: number): ProcInfo | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // ENOENT / ESRCH: gone, possibly between readdir and read
  }
  // comm (field 2) may contain spaces and ')': fields 3… start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, state: fields[0] ?? '?', ppid: Number(fields[1]), start: Number(fields[19]) };
}

/** State letter of exactly this process, or null if it is gone (a reused pid counts as gone). */
export function procState(p: Proc): string | null {
  const stat = readStat(p.pid);
  return stat !== null && stat.start === p.start ? stat.state : null;
}

/** True while the process exists, zombies included: a zombie is something left behind. */
export function isAlive(p: Proc): boolean {
  return procState(p) !== null;
}

function listPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** Every process now (one /proc scan; processes may come and go while it runs). */
export function allProcesses(): ProcInfo[] {
  return listPids()
    .map(readStat)
    .filter((p): p is ProcInfo => p !== null);
}

/**
 * Census: every process whose ppid chain reaches `root` now (root excluded). This is what a
 * ppid walk such as tree-kill can see; orphans re-parented elsewhere are exactly what it misses.
 * A bare pid only for one that cannot be reused meanwhile (process.pid, an unreaped child).
 */
export function descendantsOf(root: Proc | number): ProcInfo[] {
  const all = allProcesses();
  const rootPid = typeof root === 'number' ? root : root.pid;
  if (!all.some((p) => p.pid === rootPid && (typeof root === 'number' || p.start === root.start))) return [];
  const children = new Map<number, ProcInfo[]>();
  for (const p of all) {
    const siblings = children.get(p.ppid);
    if (siblings) siblings.push(p);
    else children.set(p.ppid, [p]);
  }
  const found: ProcInfo[] = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** Every process with `uid` as its real, effective, saved or fs uid (from /proc/PID/status). */
export function processesOfUser(uid: number): ProcInfo[] {
  const found: ProcInfo[] = [];
  for (const pid of listPids()) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      continue; // exited during the scan
    }
    const uids = /^Uid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/).map(Number) ?? [];
    const stat = uids.includes(uid) ? readStat(pid) : null;
    if (stat !== null) found.push(stat);
  }
  return found;
}

/** Tasks (threads included) whose real uid is `uid`: what RLIMIT_NPROC counts against. */
export function tasksOfUser(uid: number): number {
  let tasks = 0;
  for (const pid of listPids()) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) === uid)
        tasks += Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 1);
    } catch {
      // exited during the scan
    }
  }
  return tasks;
}
