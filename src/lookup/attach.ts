// attach(idOrName): a handle on a corral started elsewhere — list it, signal it, kill it, await it.
// We hold no control socket to it, so we signal its reaper (proven by pid + start time through a
// pidfd, by the reaper binary's tool mode): it forwards catchable signals to every member and
// kills the whole tree on signal 36 (SIG_KILL_TREE); it exits once the tree is empty.
import { execFile } from 'node:child_process';
import { watch } from 'node:fs';
import { join } from 'node:path';
import {
  AmbiguousCorralError,
  InvalidOptionError,
  NoSuchCorralError,
  NotPermittedError,
  ReaperError,
} from '../errors.js';
import { groupMembers, groupPopulated, killAndRemoveGroup } from '../kernel/cgroup.js';
import { readStat } from '../kernel/proc.js';
import { locateReaper } from '../reaper/locate.js';
import { reaperSignals } from '../reaper/protocol.js';
import { parseSignal } from '../tree/signal.js';
import { armTimer, validateDuration } from '../tree/timeout.js';
import { type CorralInfo, listCorrals, membersOf } from './list.js';
import { isLive } from './reaper-identity.js';

const SIGKILL = 9;

export interface AttachedTree {
  readonly info: CorralInfo;
  readonly id: string;
  readonly name: string | undefined;
  readonly reaperPid: number;
  /** Live members now. */
  pids(): number[];
  /** `signal` to every member (the reaper forwards it). */
  signal(signal: NodeJS.Signals | string | number): Promise<void>;
  /** `signal` to every member, SIGKILL of the whole tree after `grace`; resolves when it is empty. */
  kill(signal?: NodeJS.Signals | string | number, options?: { grace?: number | string }): Promise<void>;
  /** Resolves when the tree is empty (its reaper gone). */
  readonly done: Promise<void>;
}

/**
 * Finds one live corral by id (or a unique prefix of it) or name, among every user's, so that
 * another user's corral is reported as not ours to signal rather than as missing.
 */
export function findCorral(idOrName: string, corrals: CorralInfo[] = listCorrals({ allUsers: true })): CorralInfo {
  if (typeof idOrName !== 'string' || idOrName.length === 0) {
    throw new InvalidOptionError(
      'idOrName',
      `Expected a corral id or name, got \`${String(idOrName)}\`. Use e.g. 'web' or an id from \`corral ps\`.`,
    );
  }
  const byId = corrals.filter((c) => c.id === idOrName);
  const matches = byId.length > 0 ? byId : corrals.filter((c) => c.name === idOrName || c.id.startsWith(idOrName));
  if (matches.length === 1) return matches[0] as CorralInfo;
  if (matches.length === 0) throw new NoSuchCorralError(idOrName);
  throw new AmbiguousCorralError(
    idOrName,
    matches.map((c) => `${c.id}${c.name ? ` (${c.name})` : ''} reaper ${c.reaperPid}`),
  );
}

export async function attachCorral(idOrName: string): Promise<AttachedTree> {
  const info = findCorral(idOrName);
  const me = process.getuid?.() ?? -1;
  if (me !== 0 && info.uid !== me) throw new NotPermittedError(info.id, info.uid);
  if (info.orphaned && info.cgroup !== undefined) return attachOrphan(info, info.cgroup);
  // Started when first needed: a waiting child would keep a mere lister alive until the tree ends.
  let waiting: Promise<void> | undefined;
  const done = (): Promise<void> => {
    waiting ??= tool(['--wait', String(info.reaperPid), String(info.reaperStart)]).then(() => undefined);
    waiting.catch(() => {}); // a caller that gave up (its signal failed) must not see it unhandled
    return waiting;
  };
  const signalReaper = async (signo: number): Promise<void> => {
    const code = await tool(['--signal', String(info.reaperPid), String(info.reaperStart), String(signo)]);
    if (code === 3) throw new NotPermittedError(info.id, info.uid);
    if (code !== 0 && code !== 1)
      throw new ReaperError(`cannot signal the reaper of corral ${info.id} (status ${code})`);
    // 1: the reaper is gone, so the tree is empty already: nothing left to signal.
  };
  return {
    info,
    id: info.id,
    name: info.name,
    reaperPid: info.reaperPid,
    pids: () => (isLive(info) ? membersOf(info.reaperPid) : []),
    signal: async (signal) => signalReaper(toReaperSignal(parseSignal(signal))),
    async kill(signal = 'SIGTERM', options = {}) {
      const signo = toReaperSignal(parseSignal(signal)); // validated before anything is started
      const grace =
        options.grace === Number.POSITIVE_INFINITY
          ? Number.POSITIVE_INFINITY
          : validateDuration('grace', options.grace, 5000);
      const ended = done(); // awaited from before the signal, so the end cannot be missed
      if (signo === reaperSignals.killTree || grace === 0) {
        await signalReaper(reaperSignals.killTree);
        return ended;
      }
      await signalReaper(signo);
      const escalation = armTimer(grace, () => void signalReaper(reaperSignals.killTree).catch(() => {}));
      await ended;
      escalation.cancel();
    },
    get done() {
      return done();
    },
  };
}

/**
 * A group with no reaper: its members are signalled one by one, each proven by pid and start time
 * (the tool mode's pidfd); a kill is cgroup.kill, which names no pid at all, then the group is removed.
 */
function attachOrphan(info: CorralInfo, dir: string): AttachedTree {
  const signalAll = async (signo: number): Promise<void> => {
    await Promise.all(
      groupMembers(dir).map((pid) => {
        const start = readStat(pid)?.startTime;
        return start === undefined ? 0 : tool(['--signal', String(pid), String(start), String(signo)]);
      }),
    );
  };
  let removing: Promise<void> | undefined;
  const removeGroup = (): Promise<void> => {
    removing ??= killAndRemoveGroup(dir).then((removed) => {
      if (!removed) throw new ReaperError(`cgroup ${dir} could not be emptied and removed`);
    });
    return removing;
  };
  const emptied = (): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (!groupPopulated(dir)) {
          watcher?.close();
          void removeGroup().then(resolve, resolve);
        }
      };
      let watcher: ReturnType<typeof watch> | undefined;
      try {
        watcher = watch(join(dir, 'cgroup.events'), check);
      } catch {}
      check();
    });
  return {
    info,
    id: info.id,
    name: info.name,
    reaperPid: 0,
    pids: () => groupMembers(dir),
    signal: async (signal) => signalAll(parseSignal(signal)),
    async kill(signal = 'SIGTERM', options = {}) {
      const signo = parseSignal(signal);
      const grace =
        options.grace === Number.POSITIVE_INFINITY
          ? Number.POSITIVE_INFINITY
          : validateDuration('grace', options.grace, 5000);
      if (signo !== SIGKILL && grace !== 0) {
        await signalAll(signo);
        const ended = emptied();
        const escalation = armTimer(grace, () => void removeGroup().catch(() => {}));
        await ended;
        escalation.cancel();
      }
      return removeGroup();
    },
    get done() {
      return emptied();
    },
  };
}

/** Signals the reaper forwards to every member; SIGKILL means: kill the whole tree. */
const forwardable = new Set([1, 2, 3, 10, 12, 15, 28]);

/** What an attached corral can be sent, checked before any corral is looked up. */
export function toReaperSignal(signo: number): number {
  if (signo === SIGKILL) return reaperSignals.killTree;
  if (forwardable.has(signo)) return signo;
  throw new InvalidOptionError(
    'signal',
    `A corral attached from outside can be sent HUP, INT, QUIT, TERM, USR1, USR2, WINCH or KILL, got signal ${signo}: any other would reach only its reaper.`,
  );
}

/** Runs the reaper binary's tool mode; resolves with its exit status. */
function tool(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    execFile(locateReaper(), args, (error) => {
      resolve(error === null ? 0 : typeof error.code === 'number' ? error.code : 4);
    });
  });
}
