// capabilities(): what this machine allows this user, tried rather than guessed, and which
// containment levels follow. What no file can tell (pidfd, user namespaces, Landlock) is tried
// by `corral-reaper --probe`, once per process; cgroupfs and /proc are read on every call.
import { execFile } from 'node:child_process';
import { release } from 'node:os';
import { locateReaper } from '../reaper/locate.js';
import {
  cgroupDir,
  type DelegatedGroup,
  delegationFix,
  findDelegatedGroup,
  hasCgroupKill,
  hasSystemdUserManager,
  type LimitController,
  limitControllers,
  missingControllersNote,
  readCgroup2Mounts,
  readControllers,
  readOwnCgroup,
} from './cgroup.js';
import { usernsFix } from './namespaces.js';
import { errnoName } from './proc.js';

export type LevelName = 'track' | 'cgroup' | 'sandbox';

export interface LevelCapability {
  /** This machine could run the level for this user. */
  machine: boolean;
  /** This version of corral has the level. */
  implemented: boolean;
  /** Why the level cannot be used, when it cannot. */
  why?: string;
  /** What would let this machine run it (only when it cannot). */
  fix?: string;
  /** Usable, but with something missing (e.g. no controller for limits). */
  note?: string;
}

export interface Capabilities {
  kernel: { release: string; version: [number, number] };
  /** The helper that probes; `error` when it is missing or broken (then nothing could be tried). */
  reaper: { path: string | null; error?: string };
  pidfd: boolean;
  cgroup: {
    mounts: { path: string; kind: 'unified' | 'hybrid' }[];
    /** This process's cgroup v2 group, from the `0::` line of /proc/self/cgroup. */
    own: string | null;
    /** Where corral would make its groups, and whether this user may. */
    delegated: DelegatedGroup;
    /** A systemd user manager answers: `systemd-run --user --scope -p Delegate=yes` could delegate a group. */
    userManager: boolean;
    /** Which of pids, memory, cpu the delegated group lists in cgroup.controllers. */
    controllers: LimitController[];
    cgroupKill: boolean;
  };
  /** Unprivileged user + pid namespaces: a child unshared both and forked inside. */
  userns: { allowed: boolean; errno?: string };
  landlock: { abi: number | null; errno?: string };
  levels: Record<LevelName, LevelCapability>;
}

const implemented: Record<LevelName, boolean> = { track: true, cgroup: true, sandbox: true };

export interface Probe {
  path: string | null;
  error?: string;
  pidfd?: number; // 0, or the errno of pidfd_open
  userns?: number; // 0, or the errno of unshare/fork (255: the child died of a signal)
  landlock?: number; // the ABI, or -errno
}

let probed: Promise<Probe> | undefined;
let userManager: Promise<boolean> | undefined;

/** What the reaper's --probe found (user namespaces, Landlock): run once per process. */
export function probe(): Promise<Probe> {
  probed ??= runProbe();
  return probed;
}

export async function capabilities(): Promise<Capabilities> {
  probed ??= runProbe();
  userManager ??= hasSystemdUserManager();
  const [probe, managed] = await Promise.all([probed, userManager]);
  const kernel = readKernel();
  const facts: Facts = {
    kernel,
    reaper: probe.error === undefined ? { path: probe.path } : { path: probe.path, error: probe.error },
    pidfd: probe.pidfd === 0,
    cgroup: readCgroupState(kernel.version, managed),
    userns: probe.userns === 0 ? { allowed: true } : { allowed: false, ...errnoField(probe.userns) },
    landlock:
      (probe.landlock ?? -1) > 0 ? { abi: probe.landlock as number } : { abi: null, ...errnoField(probe.landlock) },
  };
  return { ...facts, levels: { track: judgeTrack(facts), cgroup: judgeCgroup(facts), sandbox: judgeSandbox(facts) } };
}

type Facts = Omit<Capabilities, 'levels'>;

function errnoField(code: number | undefined): { errno?: string } {
  return code === undefined ? {} : { errno: errnoName(Math.abs(code)) };
}

function readKernel(): Capabilities['kernel'] {
  const text = release();
  const match = /^(\d+)\.(\d+)/.exec(text);
  return { release: text, version: [Number(match?.[1] ?? 0), Number(match?.[2] ?? 0)] };
}

/** The kernel is at least major.minor. */
export function atLeast(version: readonly [number, number], major: number, minor: number): boolean {
  return version[0] > major || (version[0] === major && version[1] >= minor);
}

async function runProbe(): Promise<Probe> {
  let path: string;
  try {
    path = locateReaper();
  } catch (error) {
    return { path: null, error: (error as Error).message };
  }
  const stdout = await new Promise<string | Error>((resolve) => {
    execFile(path, ['--probe'], { encoding: 'utf8', timeout: 10_000 }, (error, out, stderr) => {
      resolve(error ? new Error(`${path} --probe failed: ${stderr.trim() || error.message}`) : out);
    });
  });
  if (stdout instanceof Error) return { path, error: stdout.message };
  const values = new Map(stdout.split('\n').map((line) => line.split(' ', 2) as [string, string]));
  const [pidfd, userns, landlock] = ['pidfd', 'userns', 'landlock'].map((key) => Number(values.get(key) ?? Number.NaN));
  if ([pidfd, userns, landlock].some((n) => !Number.isInteger(n))) {
    return { path, error: `${path} --probe printed no pidfd/userns/landlock lines: ${JSON.stringify(stdout)}` };
  }
  return { path, pidfd, userns, landlock } as Probe;
}

function readCgroupState(version: [number, number], userManager: boolean): Capabilities['cgroup'] {
  const mounts = readCgroup2Mounts();
  const own = readOwnCgroup();
  const mount = (own === null ? undefined : mounts.find((m) => cgroupDir(m, own) !== null)) ?? mounts[0];
  const delegated = findDelegatedGroup(mount, own);
  const listed = delegated.path === null ? [] : readControllers(delegated.path);
  const ownDir = mount === undefined || own === null ? null : cgroupDir(mount, own);
  const kill = mount === undefined ? false : hasCgroupKill([ownDir ?? mount.path, mount.path]);
  return {
    mounts: mounts.map(({ path, kind }) => ({ path, kind })),
    own,
    delegated,
    userManager,
    controllers: limitControllers.filter((c) => listed.includes(c)),
    cgroupKill: kill ?? atLeast(version, 5, 14),
  };
}

/** A level's verdict: `why` also says when this version of corral lacks the level. */
function judge(name: LevelName, machine: boolean, parts: Omit<LevelCapability, 'machine' | 'implemented'>) {
  const why = [
    machine ? undefined : parts.why,
    implemented[name] ? undefined : 'not implemented in this version of corral (only track is)',
  ];
  const out: LevelCapability = { machine, implemented: implemented[name] };
  if (!machine || !implemented[name]) out.why = why.filter(Boolean).join('; ');
  if (!machine && parts.fix) out.fix = parts.fix;
  if (parts.note) out.note = parts.note;
  return out;
}

const rebuild = 'run `npm rebuild corral` to build the corral-reaper helper, or set CORRAL_REAPER to its path';

function judgeTrack(facts: Facts): LevelCapability {
  if (facts.reaper.error !== undefined) return judge('track', false, { why: facts.reaper.error, fix: rebuild });
  return judge('track', facts.pidfd, {
    why: `pidfd_open() does not work: corral needs Linux ≥ 5.3 (this is ${facts.kernel.release})`,
    fix: 'upgrade to Linux 5.3 or later',
  });
}

function judgeCgroup(facts: Facts): LevelCapability {
  const { delegated, controllers, userManager, mounts, cgroupKill } = facts.cgroup;
  const hybrid = mounts.some((m) => m.kind === 'hybrid');
  const notes = [
    delegated.path === null ? undefined : missingControllersNote(delegated.path, controllers, hybrid),
    cgroupKill
      ? undefined
      : 'no cgroup.kill (Linux < 5.14): a whole-tree kill freezes the group and signals each member',
  ].filter(Boolean);
  return judge('cgroup', delegated.writable, {
    why: delegated.reason ?? 'no writable cgroup v2 group',
    fix: delegationFix(delegated, userManager),
    ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
  });
}

function judgeSandbox(facts: Facts): LevelCapability {
  const { userns, landlock, reaper } = facts;
  if (reaper.error !== undefined) {
    return judge('sandbox', false, { why: `user namespaces could not be tried: ${reaper.error}`, fix: rebuild });
  }
  const note =
    landlock.abi !== null
      ? 'maxProcesses is RLIMIT_NPROC inside the user namespace unless a cgroup with the pids controller is available'
      : `no Landlock (${landlock.errno}): readOnly/writable rules could not be enforced (${landlock.errno === 'EOPNOTSUPP' ? 'add landlock to the lsm= kernel parameter' : 'needs Linux ≥ 5.13 with CONFIG_SECURITY_LANDLOCK'})`;
  return judge('sandbox', userns.allowed, {
    why: `user + pid namespaces are refused: unshare(CLONE_NEWUSER | CLONE_NEWPID) or the fork inside failed with ${userns.errno}`,
    fix: usernsFix(userns.errno ?? ''),
    ...(note === undefined ? {} : { note }),
  });
}
