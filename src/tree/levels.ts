// resolveLevel(): which containment level a spawn gets, and what it needs (a cgroup to make, a
// process limit to set), decided before any process exists. Never a silent downgrade: a level or
// limit that cannot run here is an error naming what is missing and the fix.
import { accessSync, constants, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { LevelUnavailableError } from '../errors.js';
import { probe } from '../kernel/capabilities.js';
import {
  cgroupDir,
  delegationFix,
  findDelegatedGroup,
  hasSystemdUserManager,
  type LimitController,
  limitControllers,
  limitOption,
  readCgroup2Mounts,
  readControllers,
  readOwnCgroup,
} from '../kernel/cgroup.js';
import { usernsFix } from '../kernel/namespaces.js';
import { errnoName } from '../kernel/proc.js';
import type { NormalizedOptions, ResolvedLevel } from '../options.js';

export interface LevelPlan {
  level: ResolvedLevel;
  /** The group the reaper makes for the tree (cgroup level, or sandbox combined with it). */
  /** cpuMax: microseconds of CPU per 100 ms period (cpu.max). */
  cgroup: { dir: string; pidsMax?: number; memoryMax?: number; cpuMax?: number } | undefined;
  /** Sandbox without a pids controller: RLIMIT_NPROC inside the user namespace. */
  sandboxProcesses: number | undefined;
}

/** cpu.max's period: maxCpu × this many microseconds of CPU per period. */
export const cpuPeriodUs = 100_000;

/** corral-<8 hex id>: how the groups corral makes are named (the id is the corral's). */
export const groupPattern = /^corral-([0-9a-f]{8})$/;

interface CgroupSite {
  /** Where a new group would be made, or why not. */
  parent: string | null;
  why?: string;
  fix?: () => Promise<string>;
  controllers: LimitController[];
}

/** Where this process may make corral groups: inside its own group when that is a corral's (nesting), else the delegated one. */
export function cgroupSite(): CgroupSite {
  const mounts = readCgroup2Mounts();
  const own = readOwnCgroup();
  const mount = (own === null ? undefined : mounts.find((m) => cgroupDir(m, own) !== null)) ?? mounts[0];
  const ownDir = mount === undefined || own === null ? null : cgroupDir(mount, own);
  // Started inside a corral's group: a group of ours goes beneath it, so the outer cgroup.kill reaches it.
  const delegated =
    ownDir !== null && groupPattern.test(basename(ownDir))
      ? { path: ownDir, writable: existsSync(join(ownDir, 'cgroup.procs')) && writableDir(ownDir) }
      : findDelegatedGroup(mount, own);
  if (!delegated.writable || delegated.path === null) {
    const reason = 'reason' in delegated ? delegated.reason : undefined;
    return {
      parent: null,
      why: reason ?? 'no writable cgroup v2 group',
      fix: async () => delegationFix(delegated, await hasSystemdUserManager()),
      controllers: [],
    };
  }
  const listed = readControllers(delegated.path);
  return {
    parent: delegated.path,
    controllers: (['pids', 'memory', 'cpu'] as const).filter((c) => listed.includes(c)),
  };
}

function writableDir(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    accessSync(join(dir, 'cgroup.procs'), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export async function resolveLevel(options: NormalizedOptions): Promise<LevelPlan> {
  const { requestedLevel: asked, limits } = options;
  const sandboxOnly = sandboxOnlyOption(options);
  /** The limits asked for, by the controller that enforces them (the option is limitOption[c]). */
  const wanted = limitControllers.filter((c) => limits[limitOption[c]] !== undefined);
  if (asked === 'track') {
    const needs = wanted.length > 0 ? limitOption[wanted[0] as LimitController] : sandboxOnly;
    if (needs) {
      const levels = sandboxOnly === needs ? "'sandbox' (or 'auto')" : "'auto', 'cgroup' or 'sandbox'";
      throw new LevelUnavailableError(
        'track',
        `\`${needs}\` cannot be enforced by the track level`,
        `use level ${levels} (see \`corral doctor\`)`,
      );
    }
    return { level: 'track', cgroup: undefined, sandboxProcesses: undefined };
  }
  const site = cgroupSite();
  if (asked === 'cgroup') {
    if (sandboxOnly) {
      throw new LevelUnavailableError(
        'cgroup',
        `\`${sandboxOnly}\` needs the sandbox level`,
        "use level 'sandbox' (or 'auto')",
      );
    }
    if (site.parent === null) throw await unavailableCgroup(site, 'the cgroup level');
    return { level: 'cgroup', cgroup: groupFor(options, site, true), sandboxProcesses: undefined };
  }
  if (asked === 'sandbox' || sandboxOnly) {
    await requireSandbox(options, sandboxOnly ? `\`${sandboxOnly}\`` : 'the sandbox level');
    const pidsInCgroup = site.parent !== null && site.controllers.includes('pids');
    // RLIMIT_NPROC stands in for pids.max; nothing stands in for memory or cpu.
    for (const c of wanted) {
      if (c !== 'pids' && !(site.parent !== null && site.controllers.includes(c)))
        throw await unavailableCgroup(site, `\`${limitOption[c]}\``, c);
    }
    return {
      level: 'sandbox',
      cgroup: site.parent === null ? undefined : groupFor(options, site, false),
      sandboxProcesses: pidsInCgroup ? undefined : limits.maxProcesses,
    };
  }
  // auto: the strongest level that needs nothing extra; limits pick a level that can enforce them.
  const missing = wanted.filter((c) => !site.controllers.includes(c));
  if (site.parent !== null && missing.length === 0) {
    return { level: 'cgroup', cgroup: groupFor(options, site, true), sandboxProcesses: undefined };
  }
  for (const c of missing) if (c !== 'pids') throw await unavailableCgroup(site, `\`${limitOption[c]}\``, c);
  if (limits.maxProcesses !== undefined) {
    // RLIMIT_NPROC in a sandbox could cap it, but a sandbox changes the program's pids and uids
    // (nobody, for root): auto never picks it for you. Say so, with both ways out.
    const why = await unavailableCgroup(site, '`maxProcesses`', site.parent === null ? undefined : 'pids');
    throw new LevelUnavailableError(
      'cgroup',
      why.message,
      `pass level 'sandbox' (--sandbox) to cap the tree with RLIMIT_NPROC in a user namespace; or ${why.hint ?? 'get a pids controller'}`,
    );
  }
  return { level: 'track', cgroup: undefined, sandboxProcesses: undefined };
}

function sandboxOnlyOption(options: NormalizedOptions): string | undefined {
  if (!options.sandbox.network) return 'network: false';
  if (options.sandbox.readOnly) return 'readOnly';
  return undefined;
}

/** The tree's group, with the limits its controllers can enforce (`strict`: a limit without one is an error). */
function groupFor(options: NormalizedOptions, site: CgroupSite, strict: boolean): LevelPlan['cgroup'] {
  const parent = site.parent as string;
  const { maxProcesses, maxMemory, maxCpu } = options.limits;
  const group: NonNullable<LevelPlan['cgroup']> = { dir: join(parent, `corral-${options.id}`) };
  if (maxProcesses !== undefined && site.controllers.includes('pids')) group.pidsMax = maxProcesses;
  if (maxMemory !== undefined && site.controllers.includes('memory')) group.memoryMax = maxMemory;
  if (maxCpu !== undefined && site.controllers.includes('cpu')) group.cpuMax = Math.round(maxCpu * cpuPeriodUs);
  if (strict && maxProcesses !== undefined && group.pidsMax === undefined)
    throw noController(parent, 'pids', 'maxProcesses');
  if (strict && maxMemory !== undefined && group.memoryMax === undefined)
    throw noController(parent, 'memory', 'maxMemory');
  if (strict && maxCpu !== undefined && group.cpuMax === undefined) throw noController(parent, 'cpu', 'maxCpu');
  enableControllers(
    parent,
    [group.pidsMax && 'pids', group.memoryMax && 'memory', group.cpuMax && 'cpu'].filter(Boolean) as string[],
  );
  return group;
}

/** A child group gets a controller's files only once its parent enables it in cgroup.subtree_control. */
function enableControllers(parent: string, controllers: string[]): void {
  if (controllers.length === 0) return;
  const file = join(parent, 'cgroup.subtree_control');
  const enabled = readFileSync(file, 'utf8').split(/\s+/);
  const wanted = controllers.filter((c) => !enabled.includes(c));
  if (wanted.length === 0) return;
  try {
    writeFileSync(file, wanted.map((c) => `+${c}`).join(' '));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new LevelUnavailableError(
      'cgroup',
      `cannot enable ${wanted.join(', ')} in ${file}: ${code}`,
      code === 'EBUSY'
        ? 'the group has processes of its own (cgroup v2 allows controllers only for groups without): run corral from a leaf group, e.g. under `systemd-run --scope -p Delegate=yes`'
        : 'make the file writable for this user (systemd: Delegate=pids memory cpu)',
    );
  }
}

function noController(parent: string, controller: string, option: string): LevelUnavailableError {
  const hybrid = readCgroup2Mounts().some((m) => m.kind === 'hybrid');
  return new LevelUnavailableError(
    'cgroup',
    `\`${option}\` needs the ${controller} controller, and ${join(parent, 'cgroup.controllers')} does not list it`,
    hybrid
      ? `this machine binds ${controller} to cgroup v1: boot with systemd.unified_cgroup_hierarchy=1 (or cgroup_no_v1=all)${controller === 'pids' ? "; or use level 'sandbox' (RLIMIT_NPROC)" : ''}`
      : `enable it in the parent's cgroup.subtree_control, or ask systemd for it (Delegate=${controller})`,
  );
}

async function unavailableCgroup(site: CgroupSite, what: string, controller?: string): Promise<LevelUnavailableError> {
  if (site.parent !== null && controller !== undefined)
    return noController(site.parent, controller, what.replaceAll('`', ''));
  return new LevelUnavailableError(
    'cgroup',
    `${what} needs a cgroup v2 group this user may create groups in: ${site.why}`,
    site.fix ? await site.fix() : undefined,
  );
}

async function requireSandbox(options: NormalizedOptions, what: string): Promise<void> {
  const found = await probe();
  if (found.error !== undefined) throw new LevelUnavailableError('sandbox', `${what}: ${found.error}`, undefined);
  if (found.userns !== 0) {
    const errno = errnoName(found.userns ?? 0);
    throw new LevelUnavailableError(
      'sandbox',
      `${what} needs user + pid namespaces, and this machine refuses them (unshare or the fork inside failed with ${errno})`,
      usernsFix(errno),
    );
  }
  if (options.sandbox.readOnly && (found.landlock ?? -1) <= 0) {
    const errno = errnoName(Math.abs(found.landlock ?? 0));
    throw new LevelUnavailableError(
      'sandbox',
      `\`readOnly\` needs Landlock, and landlock_create_ruleset failed with ${errno}`,
      errno === 'EOPNOTSUPP'
        ? 'add landlock to the lsm= kernel parameter'
        : 'use Linux >= 5.13 with CONFIG_SECURITY_LANDLOCK',
    );
  }
  for (const path of options.sandbox.writable) {
    if (!existsSync(path)) {
      throw new LevelUnavailableError(
        'sandbox',
        `writable path ${path} does not exist`,
        'create it first, or fix the path',
      );
    }
  }
}
