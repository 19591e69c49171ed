// Thin typed readers of cgroupfs: where cgroup v2 is mounted, which group we are in, whether
// this user may make groups there, and how to get such a group. Nothing is cached.
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';

export interface Cgroup2Mount {
  /** Where it is mounted, e.g. /sys/fs/cgroup or /sys/fs/cgroup/unified. */
  path: string;
  /** The group seen at `path` ('/' unless a sub-tree is bind-mounted, as in some containers). */
  root: string;
  /** 'hybrid' when cgroup v1 hierarchies are mounted beside it (they may hold the controllers). */
  kind: 'unified' | 'hybrid';
}

export interface DelegatedGroup {
  /** The directory corral would make its groups in (null: no cgroup v2 in sight). */
  path: string | null;
  writable: boolean;
  reason?: string;
}

/** The controllers the cgroup level's limits need, and the option each one serves. */
export const limitControllers = ['pids', 'memory', 'cpu'] as const;
export type LimitController = (typeof limitControllers)[number];
export const limitOption = { pids: 'maxProcesses', memory: 'maxMemory', cpu: 'maxCpu' } as const;

/** cgroup2 mounts in this mount namespace, from /proc/self/mountinfo (fstab may lie, mountinfo cannot). */
export function readCgroup2Mounts(mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): Cgroup2Mount[] {
  const v2: { path: string; root: string }[] = [];
  let v1 = false;
  for (const line of mountinfo.split('\n')) {
    // id parent major:minor root mountpoint options [optional…] - fstype source superoptions
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (dash < 0) continue;
    const fstype = fields[dash + 1];
    if (fstype === 'cgroup') v1 = true;
    if (fstype === 'cgroup2')
      v2.push({ root: unescapePath(fields[3] as string), path: unescapePath(fields[4] as string) });
  }
  return v2.map((m) => ({ ...m, kind: v1 ? 'hybrid' : 'unified' }));
}

/** mountinfo writes space, tab, newline and backslash in paths as \ooo. */
function unescapePath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** This process's cgroup v2 group (the `0::` line of /proc/self/cgroup), or null on a v1-only system. */
export function readOwnCgroup(text = readFileSync('/proc/self/cgroup', 'utf8')): string | null {
  const line = text.split('\n').find((l) => l.startsWith('0::'));
  return line === undefined ? null : line.slice(3);
}

/** The directory of `group` through `mount`, or null if that mount does not show it. */
export function cgroupDir(mount: Cgroup2Mount, group: string): string | null {
  const root = mount.root === '/' ? '' : mount.root;
  if (group !== mount.root && !group.startsWith(`${root}/`)) return null;
  const rest = group.slice(root.length).replace(/\/+$/, '');
  return rest === '' ? mount.path : join(mount.path, rest);
}

/**
 * Where corral would make its groups. Root may make them anywhere: the mount's root. A user
 * needs its own group delegated (systemd's Delegate=yes hands over the unit's own group), else
 * its parent's (a sibling group). The first writable candidate wins.
 */
export function findDelegatedGroup(mount: Cgroup2Mount | undefined, own: string | null): DelegatedGroup {
  if (mount === undefined) return { path: null, writable: false, reason: 'no cgroup2 filesystem is mounted' };
  const ownDir = own === null ? null : cgroupDir(mount, own);
  const parentDir = own === null || own === '/' ? null : cgroupDir(mount, posix.dirname(own));
  const candidates = process.geteuid?.() === 0 ? [mount.path, ownDir] : [ownDir, parentDir];
  const dirs = [...new Set(candidates.filter((d): d is string => d !== null))];
  if (dirs.length === 0) return { path: null, writable: false, reason: `cgroup ${own} is not under ${mount.path}` };
  const reasons: string[] = [];
  for (const dir of dirs) {
    const why = whyNotWritable(dir);
    if (why === undefined) return { path: dir, writable: true };
    reasons.push(why);
  }
  return { path: dirs[0] as string, writable: false, reason: reasons.join('; ') };
}

/**
 * Why this process may not create a group in `dir` and move into it, or undefined if it may.
 * The kernel's rule: write access to the directory (mkdir) and to its cgroup.procs (a move is
 * checked against the common ancestor of source and destination, which is `dir`).
 */
function whyNotWritable(dir: string): string | undefined {
  for (const path of [dir, join(dir, 'cgroup.procs')]) {
    try {
      accessSync(path, constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      return `${path} is not writable by uid ${process.getuid?.()}: ${code}${describeOwner(path)}`;
    }
  }
  return undefined;
}

function describeOwner(path: string): string {
  try {
    const { uid, mode } = statSync(path);
    return ` (owned by uid ${uid}, mode ${(mode & 0o777).toString(8)})`;
  } catch {
    return '';
  }
}

/** Controllers a child of `dir` could be given: those listed in its cgroup.controllers. */
export function readControllers(dir: string): string[] {
  try {
    return readFileSync(join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/).filter(Boolean);
  } catch {
    return []; // gone or unreadable: no controller we could use
  }
}

/**
 * Whether cgroup.kill exists in `dirs` (most relevant first). The root group never has it, so a
 * group without it says nothing until one of its children is looked at; undefined when no
 * non-root group is in sight, and the caller falls back on the kernel version (5.14).
 */
export function hasCgroupKill(dirs: readonly string[]): boolean | undefined {
  for (const dir of dirs) {
    if (existsSync(join(dir, 'cgroup.kill'))) return true;
    const child = firstChildGroup(dir);
    if (child !== undefined) return existsSync(join(child, 'cgroup.kill'));
  }
  return undefined;
}

function firstChildGroup(dir: string): string | undefined {
  try {
    const child = readdirSync(dir, { withFileTypes: true }).find((e) => e.isDirectory());
    return child === undefined ? undefined : join(dir, child.name);
  } catch {
    return undefined;
  }
}

/** A systemd user manager for this user: its private socket exists, or `systemctl --user` answers. */
export async function hasSystemdUserManager(): Promise<boolean> {
  const runtime = process.env.XDG_RUNTIME_DIR || `/run/user/${process.getuid?.()}`;
  if (existsSync(join(runtime, 'systemd', 'private'))) return true;
  return new Promise((resolve) => {
    execFile('systemctl', ['--user', 'is-system-running'], { encoding: 'utf8', timeout: 2_000 }, (_, out) => {
      // It prints the manager's state (running, degraded, …: non-zero exit unless running), else `offline`.
      const state = String(out ?? '').trim();
      resolve(state !== '' && state !== 'offline' && state !== 'unknown');
    });
  });
}

/** How to get a writable, delegated group when `delegated` is not one. */
export function delegationFix(delegated: DelegatedGroup, userManager: boolean): string {
  if (delegated.path === null) {
    return 'mount cgroup2 (mount -t cgroup2 none /sys/fs/cgroup), or boot with systemd.unified_cgroup_hierarchy=1';
  }
  if (process.geteuid?.() === 0) {
    return 'make the cgroup2 mount writable (in a container: its own cgroup namespace and a read-write /sys/fs/cgroup, e.g. docker run --cgroupns=private)';
  }
  const systemd = userManager
    ? ''
    : existsSync('/run/systemd/system') // exists exactly when systemd is init (sd_booted(3))
      ? ' (needs a systemd user manager, and none answers for this user: log in through a PAM session, or `loginctl enable-linger`)'
      : ' (needs systemd with a user manager; systemd does not run this machine)';
  return `run under \`systemd-run --user --scope -p Delegate=yes corral …\`${systemd}; or run as root; or in a container with its own cgroup namespace`;
}

/** What limits are lost for want of controllers, and how to get them (undefined: none missing). */
export function missingControllersNote(
  dir: string,
  controllers: readonly LimitController[],
  hybrid: boolean,
): string | undefined {
  const missing = limitControllers.filter((c) => !controllers.includes(c));
  if (missing.length === 0) return undefined;
  const how = hybrid
    ? 'hybrid layout: these controllers are bound to cgroup v1; boot with cgroup_no_v1=all or systemd.unified_cgroup_hierarchy=1 to give them to cgroup v2'
    : 'enable them in the parent group’s cgroup.subtree_control, or ask systemd for them: Delegate=pids memory cpu';
  return `no ${missing.join('/')} controller in ${join(dir, 'cgroup.controllers')}, so no ${missing.map((c) => limitOption[c]).join('/')} limit (${how})`;
}

// ---- one corral's group: what the library does itself when no reaper is left to do it ----

/** pids listed in the group's cgroup.procs (empty when it is gone). */
export function groupMembers(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function groupPopulated(dir: string): boolean {
  try {
    return /^populated 1$/m.test(readFileSync(join(dir, 'cgroup.events'), 'utf8'));
  } catch {
    return false; // gone
  }
}

/**
 * Kills every member at once through cgroup.kill (no pid involved, so none can be mistaken),
 * waits until cgroup.events says unpopulated (watched, not polled), and removes the group.
 * Resolves with whether the group is gone; `timeoutMs` bounds the wait.
 */
export async function killAndRemoveGroup(dir: string, timeoutMs = 10_000): Promise<boolean> {
  const { writeFileSync, rmdirSync, watch } = await import('node:fs');
  const kill = (): void => {
    try {
      writeFileSync(join(dir, 'cgroup.kill'), '1');
    } catch {
      // gone already, or no cgroup.kill (< 5.14): the members of a frozen group get SIGKILL below
    }
  };
  kill();
  if (groupPopulated(dir)) {
    await new Promise<void>((resolve) => {
      let watcher: ReturnType<typeof watch> | undefined;
      const done = (): void => {
        watcher?.close();
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      try {
        watcher = watch(join(dir, 'cgroup.events'), () => {
          if (!groupPopulated(dir)) done();
          else kill(); // a member that survived (a leader whose threads live on): again
        });
      } catch {
        done();
      }
      if (!groupPopulated(dir)) done();
    });
  }
  try {
    rmdirSync(dir);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
