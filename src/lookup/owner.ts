// ownerOf(pid): the corral that owns a process, found from /proc with no daemon.
// track: the nearest reaper up the ppid chain (orphans reparent to it, so the chain is true).
import { readStat } from '../kernel/proc.js';
import { type CorralRef, isLive, readReaper } from './reaper-identity.js';

export interface Owner {
  /** The innermost corral holding the pid. */
  corral: CorralRef;
  /** Enclosing corrals, innermost first (a corral started inside another). */
  parents: CorralRef[];
  /** pids from the process up to (and including) the owning reaper. */
  path: number[];
  /** The pid is the owning corral's reaper itself. */
  isReaper: boolean;
}

interface Cached {
  start: number;
  owner: Owner | null;
}

// A live process never changes corral (a reaper never adopts from outside its tree), so an
// answer stays right while the pid's start time, and the owning reaper's, are unchanged.
const cache = new Map<number, Cached>();
const cacheLimit = 4096;

/** The corral owning `pid`, or null for a process outside every corral (or gone). */
export function findOwner(pid: number): Owner | null {
  const stat = readStat(pid);
  if (stat === undefined) return null;
  const hit = cache.get(pid);
  if (hit && hit.start === stat.startTime && (hit.owner === null || isLive(hit.owner.corral))) return hit.owner;
  const owner = walk(pid);
  if (readStat(pid)?.startTime !== stat.startTime) return null; // exited (and maybe reused) mid-walk
  if (cache.size >= cacheLimit) cache.clear();
  cache.set(pid, { start: stat.startTime, owner });
  return owner;
}

function walk(pid: number): Owner | null {
  const path: number[] = [];
  const found: CorralRef[] = [];
  for (let p = pid; p > 1; ) {
    const stat = readStat(p);
    if (stat === undefined) break;
    path.push(p);
    const ref = readReaper(stat);
    if (ref) found.push(ref);
    p = stat.ppid;
  }
  const [corral, ...parents] = found;
  if (corral === undefined) return null;
  return {
    corral,
    parents,
    path: path.slice(0, path.indexOf(corral.reaperPid) + 1),
    isReaper: corral.reaperPid === pid,
  };
}
