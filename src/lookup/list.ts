// list(): every live corral visible to this user, read from /proc now.
import { readFileSync } from 'node:fs';
import { descendantsOf, listPids, pageBytes, readStat, readUid, ticksPerSecond } from '../kernel/proc.js';
import { findOwner } from './owner.js';
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
}

/** Every corral with a live reaper; another user's only when we are root. */
export function listCorrals(): CorralInfo[] {
  const me = process.getuid?.() ?? -1;
  const bootMs = Date.now() - uptimeMs();
  const out: CorralInfo[] = [];
  for (const pid of listPids()) {
    const stat = readStat(pid);
    if (stat?.comm !== reaperComm) continue;
    const uid = readUid(pid);
    if (uid === undefined || (me !== 0 && uid !== me)) continue;
    const ref = readReaper(stat);
    if (ref) out.push(describe(ref, uid, bootMs));
  }
  return out.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
}

/** Live members of the corral whose reaper is `reaperPid` (main and descendants). */
export function membersOf(reaperPid: number): number[] {
  return descendantsOf(reaperPid);
}

function describe(ref: CorralRef, uid: number, bootMs: number): CorralInfo {
  let ticks = 0;
  let pages = 0;
  const members = membersOf(ref.reaperPid);
  for (const pid of members) {
    const stat = readStat(pid);
    if (!stat) continue;
    ticks += stat.utimeTicks + stat.stimeTicks;
    pages += stat.rssPages;
  }
  return {
    ...ref,
    uid,
    startedAt: new Date(bootMs + (ref.reaperStart * 1000) / ticksPerSecond),
    processes: members.length,
    cpuMs: (ticks * 1000) / ticksPerSecond,
    rssKiB: (pages * pageBytes()) / 1024,
    // A reaper's own owner is its corral; the enclosing one is the next reaper up.
    parentId: findOwner(ref.reaperPid)?.parents[0]?.id,
  };
}

function uptimeMs(): number {
  return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
}
