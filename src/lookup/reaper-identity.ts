// A reaper is recognisable from /proc alone: comm "corral-reaper" and an argv carrying its
// identity (see src/reaper/client.ts). No files, no daemon: nothing that can go stale.
import { type ProcStat, readCmdline, readStat } from '../kernel/proc.js';
import type { ResolvedLevel } from '../options.js';

export const reaperComm = 'corral-reaper';

/** One corral as its reaper's /proc entry tells it. */
export interface CorralRef {
  id: string;
  name: string | undefined;
  level: ResolvedLevel;
  reaperPid: number;
  /** The reaper's start time (clock ticks since boot): with reaperPid, names it for good. */
  reaperStart: number;
  /** Main's pid, or null once main has exited. */
  pid: number | null;
  command: string[];
  /** The tree's cgroup (cgroup level, or sandbox with a group). */
  cgroup?: string;
}

/** The corral whose reaper is `stat`'s process, or undefined if it is not a reaper. */
export function readReaper(stat: ProcStat): CorralRef | undefined {
  if (stat.comm !== reaperComm) return undefined;
  const argv = readCmdline(stat.pid);
  const end = argv.indexOf('--');
  const option = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i > 0 && (end < 0 || i < end) ? argv[i + 1] : undefined;
  };
  const id = option('--id');
  if (id === undefined || end < 0) return undefined; // a corral-reaper run by hand, or gone mid-read
  const main = Number(option('--main') ?? 0);
  const cgroup = option('--cgroup');
  return {
    ...(cgroup === undefined ? {} : { cgroup }),
    id,
    name: option('--name'),
    level: (option('--level') ?? 'track') as ResolvedLevel,
    reaperPid: stat.pid,
    reaperStart: stat.startTime,
    pid: main > 0 ? main : null,
    command: argv.slice(end + 1),
  };
}

/** Is the reaper `ref` names still that very process? */
export function isLive(ref: Pick<CorralRef, 'reaperPid' | 'reaperStart'>): boolean {
  return readStat(ref.reaperPid)?.startTime === ref.reaperStart;
}
