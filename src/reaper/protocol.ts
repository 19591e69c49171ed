// The controller <-> reaper protocol, controller side. The same table lives in
// native/reaper/protocol.h and docs/protocol.md; a test checks they agree.

export const PROTOCOL_VERSION = 2;
export const CONTROL_FD = 3;

export const events = {
  hello: 'hello', // hello VERSION REAPER_PID
  started: 'started', // started MAIN_PID INIT_PID
  spawnFailed: 'spawn-failed', // spawn-failed ERRNO
  exited: 'exited', // exited CODE SIGNAL CORE
  limits: 'limits', // limits OOM_KILLS PIDS_MAX_HITS
  empty: 'empty', // empty PROCESSES PEAK USER_US SYSTEM_US MAXRSS_KIB
  warn: 'warn', // warn ERRNO WHAT
  fatal: 'fatal', // fatal ERRNO WHAT
} as const;

export const commands = {
  signal: 'signal', // signal SIGNO CONT
  kill: 'kill', // kill
} as const;

/** Signals to the reaper itself (protocol.h), as kernel numbers: free real-time signals under glibc and musl. */
export const reaperSignals = {
  controllerGone: 35,
  killTree: 36,
} as const;

export interface Totals {
  processes: number;
  peakProcesses: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  peakRssKiB: number;
}

export type ReaperEvent =
  | { type: 'hello'; version: number; pid: number }
  | { type: 'started'; pid: number; init: number }
  | { type: 'spawn-failed'; errno: number }
  | { type: 'exited'; exitCode: number | null; signal: number | null; core: boolean }
  | { type: 'limits'; oomKills: number; pidsMaxHits: number }
  | { type: 'empty'; totals: Totals }
  | { type: 'warn' | 'fatal'; errno: number; what: string };

/** Parses one line from the reaper; undefined for a line this version does not know. */
export function decodeEvent(line: string): ReaperEvent | undefined {
  const [type, ...fields] = line.split(' ');
  const n = fields.map(Number);
  switch (type) {
    case events.hello:
      return { type, version: n[0] ?? 0, pid: n[1] ?? 0 };
    case events.started:
      return { type, pid: n[0] ?? 0, init: n[1] ?? 0 };
    case events.limits:
      return { type, oomKills: n[0] ?? 0, pidsMaxHits: n[1] ?? 0 };
    case events.spawnFailed:
      return { type, errno: n[0] ?? 0 };
    case events.exited:
      return {
        type,
        exitCode: n[0] === undefined || n[0] < 0 ? null : n[0],
        signal: n[1] ? n[1] : null,
        core: n[2] === 1,
      };
    case events.empty:
      return {
        type,
        totals: {
          processes: n[0] ?? 0,
          peakProcesses: n[1] ?? 0,
          cpuUserMs: (n[2] ?? 0) / 1000,
          cpuSystemMs: (n[3] ?? 0) / 1000,
          peakRssKiB: n[4] ?? 0,
        },
      };
    case events.warn:
    case events.fatal:
      return { type, errno: n[0] ?? 0, what: fields.slice(1).join(' ') };
    default:
      return undefined;
  }
}

export function encodeSignal(signo: number, cont: boolean): string {
  return `${commands.signal} ${signo} ${cont ? 1 : 0}\n`;
}

export function encodeKill(): string {
  return `${commands.kill}\n`;
}
