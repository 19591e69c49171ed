// ownerOf(pid): the corral that owns a process, found from /proc with no daemon.
// track: the nearest reaper up the ppid chain (orphans reparent to it, so the chain is true).
import { readFileSync } from 'node:fs';
import { cgroupDir, readCgroup2Mounts } from '../kernel/cgroup.js';
import { readStat } from '../kernel/proc.js';
import { type CorralRef, readReaper } from './reaper-identity.js';

export interface Owner {
  /** The innermost corral holding the pid (main's pid as of now). */
  corral: CorralRef;
  /** Enclosing corrals, innermost first (a corral started inside another). */
  parents: CorralRef[];
  /** pids from the process up to (and including) the owning reaper, read when first used. */
  readonly path: number[];
  /** The pid is the owning corral's reaper itself. */
  isReaper: boolean;
}

interface Cached {
  start: number;
  ppid: number;
  corral: CorralRef | null;
  parents: CorralRef[];
}

// A live process never changes corral (a reaper never adopts from outside its tree), so the
// owner stays right while the pid's start time and parent, and the reaper's start, are the
// same. The parent matters: a stranger that took a member's pid within the same clock tick
// has the same start time, but its parent is outside the tree.
const cache = new Map<number, Cached>();
const cacheLimit = 4096;

/** The corral owning `pid`, or null for a process outside every corral (or gone). */
export function findOwner(pid: number): Owner | null {
  const stat = readStat(pid);
  if (stat === undefined) return null;
  const hit = cache.get(pid);
  if (hit && hit.start === stat.startTime && hit.ppid === stat.ppid) {
    if (hit.corral === null) return null;
    const fresh = refresh(hit.corral);
    if (fresh) return owner(pid, fresh, hit.parents);
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    const found = walk(pid);
    if (found === undefined) continue; // an ancestor exited under the walk: its child moved up; walk again
    if (readStat(pid)?.startTime !== stat.startTime) return null; // exited (and maybe reused) meanwhile
    const [corral = orphanedGroupOf(pid), ...parents] = found;
    if (cache.size >= cacheLimit) cache.clear();
    cache.set(pid, { start: stat.startTime, ppid: stat.ppid, corral, parents });
    return corral && owner(pid, corral, parents);
  }
  return null; // the tree is changing too fast to say; uncached, so the next call tries again
}

/** The reaper as it is now (main's pid may have changed to none), if it is still that process. */
function refresh(ref: CorralRef): CorralRef | undefined {
  const stat = readStat(ref.reaperPid);
  return stat?.startTime === ref.reaperStart ? readReaper(stat) : undefined;
}

function owner(pid: number, corral: CorralRef, parents: CorralRef[]): Owner {
  let path: number[] | undefined;
  const result = { corral, parents, isReaper: corral.reaperPid === pid } as Owner;
  Object.defineProperty(result, 'path', { enumerable: true, get: () => (path ??= pathTo(pid, corral.reaperPid)) });
  return result;
}

/** Reapers from `pid` up to pid 1, innermost first; undefined if the chain broke mid-walk. */
function walk(pid: number): CorralRef[] | undefined {
  const found: CorralRef[] = [];
  for (let p = pid; p > 1; ) {
    const stat = readStat(p);
    if (stat === undefined) return p === pid ? [] : undefined;
    const ref = readReaper(stat);
    if (ref) found.push(ref);
    p = stat.ppid;
  }
  return found;
}

function pathTo(pid: number, reaperPid: number): number[] {
  const path: number[] = [];
  for (let p = pid; p > 1; p = readStat(p)?.ppid ?? 0) {
    path.push(p);
    if (p === reaperPid) break;
  }
  return path;
}

/**
 * No reaper above it: a member of a cgroup-level tree whose reaper and controller were killed is
 * still in its corral-<id> group, and that group is its corral (list() shows it as orphaned).
 */
function orphanedGroupOf(pid: number): CorralRef | null {
  let group: string | undefined;
  try {
    group = /^0::(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, 'utf8'))?.[1];
  } catch {
    return null;
  }
  const id = group === undefined ? undefined : /\/corral-([0-9a-f]{8})$/.exec(group)?.[1];
  if (group === undefined || id === undefined) return null;
  const dir = readCgroup2Mounts()
    .map((m) => cgroupDir(m, group))
    .find((d) => d !== null);
  if (!dir) return null;
  return { id, name: undefined, level: 'cgroup', reaperPid: 0, reaperStart: 0, pid: null, command: [], cgroup: dir };
}
