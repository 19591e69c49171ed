// One row per instance for `corral status`: the supervisor's view (state, restarts, why) plus
// the kernel's (processes, CPU, memory of the live members), read from /proc now.
import { type CorralInfo, listCorrals } from '../../lookup/list.js';
import type { Exit } from './backoff.js';
import type { ServiceState } from './instance.js';
import type { Supervisor } from './supervisor.js';

export interface ServiceStatus {
  service: string;
  state: ServiceState;
  /** Main's pid; null when it has no tree or main has exited (leftovers being stopped). */
  pid: number | null;
  reaperPid: number | null;
  /** The corral's id and name, for `corral ps/tree/kill`. */
  corral: string | null;
  corralName: string;
  processes: number;
  restarts: number;
  uptimeMs: number | null;
  cpuMs: number | null;
  rssKiB: number | null;
  lastExit: Exit | null;
  reason: string | null;
}

export function collectStatus(supervisor: Supervisor, names: readonly string[] = []): ServiceStatus[] {
  const corrals = new Map<number, CorralInfo>(listCorrals().map((c) => [c.reaperPid, c]));
  const now = Date.now();
  return supervisor.select(names).map((inst) => {
    const tree = inst.tree;
    const info = tree ? corrals.get(tree.reaperPid) : undefined;
    return {
      service: inst.name,
      state: inst.state,
      pid: info ? info.pid : null,
      reaperPid: tree?.reaperPid ?? null,
      corral: tree?.id ?? null,
      corralName: inst.corralName,
      processes: info?.processes ?? 0,
      restarts: inst.restarts,
      uptimeMs: inst.startedAt === undefined ? null : now - inst.startedAt,
      cpuMs: info?.cpuMs ?? null,
      rssKiB: info?.rssKiB ?? null,
      lastExit: inst.lastExit ?? null,
      reason: inst.reason ?? null,
    };
  });
}
