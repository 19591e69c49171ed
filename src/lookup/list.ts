// list(): every live corral visible to this user, read from /proc now.
import { readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { groupMembers, groupPopulated } from '../kernel/cgroup.js';
import {
  descendantsOf,
  listPids,
  type ProcStat,
  pageBytes,
  readStat,
  readUid,
  ticksPerSecond,
} from '../kernel/proc.js';
import { cgroupSite, groupPattern } from '../tree/levels.js';
import { type CorralRef, readReaper, reaperComm } from './reaper-identity.js';

export interface CorralInfo extends CorralRef {
  uid: number;
  /** When the corral started (its reaper's start). */
  startedAt: Date;
  /** Live members now: main and every descendant (the reaper not counted). */
  processes: number;
  /** CPU of the live members so far (what exited is in the result of whoever controls it). */
  cpuMs: number;
  /** Resident memory of the live members, summed. */
  rssKiB: number;
  /** The enclosing corral's id, for a corral started inside another. */
  parentId: string | undefined;
  /**
   * A cgroup whose reaper and controller are both gone (killed): its processes live on in the
   * group, and only the group holds them. `reaperPid` is 0; `kill` empties and removes it.
   */
  orphaned: boolean;
}

/**
 * Every corral with a live reaper; another user's only when we are root. One scan of
 * every /proc/PID/stat gives each process's parent, CPU and memory, so members are found from
 * that snapshot rather than by a second walk per corral.
 */
export function listCorrals(options: { allUsers?: boolean } = {}): CorralInfo[] {
  const me = options.allUsers ? 0 : (process.getuid?.() ?? -1);
  // Groups first, then /proc: a group's reaper exists before the group, so none looks orphaned by mistake.
  const groups = corralGroups();
  const bootMs = Date.now() - uptimeMs();
  const stats = new Map<number, ProcStat>();
  const children = new Map<number, number[]>();
  for (const pid of listPids()) {
    const stat = readStat(pid);
    if (!stat) continue;
    stats.set(pid, stat);
    const siblings = children.get(stat.ppid);
    if (siblings) siblings.push(pid);
    else children.set(stat.ppid, [pid]);
  }
  const out: CorralInfo[] = [];
  for (const stat of stats.values()) {
    if (stat.comm !== reaperComm) continue;
    const uid = readUid(stat.pid);
    if (uid === undefined || (me !== 0 && uid !== me)) continue;
    const ref = readReaper(stat);
    if (!ref) continue;
    const info = describe(ref, uid, bootMs, stats, children);
    // Main gone and no member left: the tree is over; its reaper is only saying goodbye.
    if (info.pid !== null || info.processes > 0) out.push(info);
  }
  const live = new Set(out.map((c) => c.id));
  for (const stat of stats.values()) {
    const ref = stat.comm === reaperComm ? readReaper(stat) : undefined;
    if (ref) live.add(ref.id);
  }
  for (const [id, dir] of groups) {
    if (live.has(id)) continue;
    const info = describeOrphan(id, dir, stats);
    if (info && (me === 0 || info.uid === me)) out.push(info);
  }
  return out.sort((a, b) => a.reaperStart - b.reaperStart || a.reaperPid - b.reaperPid);
}

/** Live members of the corral whose reaper is `reaperPid` (main and descendants). */
export function membersOf(reaperPid: number): number[] {
  return descendantsOf(reaperPid);
}

function describe(
  ref: CorralRef,
  uid: number,
  bootMs: number,
  stats: Map<number, ProcStat>,
  children: Map<number, number[]>,
): CorralInfo {
  let ticks = 0;
  let pages = 0;
  let processes = 0;
  const queue = [...(children.get(ref.reaperPid) ?? [])];
  for (let i = 0; i < queue.length; i++) {
    const pid = queue[i] as number;
    const stat = stats.get(pid);
    if (!stat) continue;
    processes++;
    ticks += stat.utimeTicks + stat.stimeTicks;
    pages += stat.rssPages;
    for (const kid of children.get(pid) ?? []) queue.push(kid);
  }
  return {
    ...ref,
    uid,
    startedAt: new Date(bootMs + (ref.reaperStart * 1000) / ticksPerSecond),
    processes,
    cpuMs: (ticks * 1000) / ticksPerSecond,
    rssKiB: (pages * pageBytes()) / 1024,
    parentId: enclosing(ref.reaperPid, stats),
    orphaned: false,
  };
}

/** corral-<id> groups where this process would make them, and beneath those (nested corrals). */
function corralGroups(): Map<string, string> {
  const found = new Map<string, string>();
  const parent = cgroupSite().parent;
  const scan = (dir: string, depth: number): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries) {
      const match = groupPattern.exec(name);
      if (!match) continue;
      found.set(match[1] as string, join(dir, name));
      if (depth < 8) scan(join(dir, name), depth + 1);
    }
  };
  if (parent !== null) scan(parent, 0);
  return found;
}

/** An orphaned group as a corral; an empty one is removed instead (nothing is left to list). */
function describeOrphan(id: string, dir: string, stats: Map<number, ProcStat>): CorralInfo | undefined {
  if (!groupPopulated(dir)) {
    try {
      rmdirSync(dir); // EBUSY if it filled meanwhile or has groups beneath: then it stays listed next time
    } catch {}
    return undefined;
  }
  let uid = 0;
  let startedAt = new Date();
  try {
    const st = statSync(dir);
    uid = st.uid;
    startedAt = st.birthtime.getTime() > 0 ? st.birthtime : st.ctime;
  } catch {
    return undefined;
  }
  let ticks = 0;
  let pages = 0;
  const members = groupMembers(dir);
  for (const pid of members) {
    const stat = stats.get(pid);
    if (!stat) continue;
    ticks += stat.utimeTicks + stat.stimeTicks;
    pages += stat.rssPages;
  }
  return {
    id,
    name: undefined,
    level: 'cgroup',
    reaperPid: 0,
    reaperStart: 0,
    pid: null,
    command: [],
    cgroup: dir,
    uid,
    startedAt,
    processes: members.length,
    cpuMs: (ticks * 1000) / ticksPerSecond,
    rssKiB: (pages * pageBytes()) / 1024,
    parentId: undefined,
    orphaned: true,
  };
}

/** The next reaper up from a reaper: the corral it was started inside. */
function enclosing(reaperPid: number, stats: Map<number, ProcStat>): string | undefined {
  for (let p = stats.get(reaperPid)?.ppid ?? 0; p > 1; p = stats.get(p)?.ppid ?? 0) {
    const stat = stats.get(p);
    if (stat?.comm === reaperComm) return readReaper(stat)?.id;
  }
  return undefined;
}

function uptimeMs(): number {
  return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
}
