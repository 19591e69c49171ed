// corral ps: the live corrals, one line each, like docker ps.
import { type CorralInfo, listCorrals } from '../../lookup/list.js';
import { parseOperands } from '../args.js';
import { controlCodes } from '../exit-codes.js';
import { formatAge, formatArgv, formatCpu, formatMemory, formatTable, terminalWidth } from '../format.js';
import type { Outcome } from '../outcome.js';
import { UsageError } from '../usage-error.js';

export const psUsage = `usage: corral ps [--json]

Lists the live corrals you may see (every user's as root), oldest first.
PID is main's ('-' once it exited); PROCS, CPU and MEM count the processes alive
now; PARENT, shown when a corral runs inside another, is the enclosing one's ID.

      --json    print an array of objects: id, name, level, pid, reaperPid,
                reaperStart, uid, startedAt, processes, cpuMs, rssKiB, parentId,
                command
  -h, --help    show this help

Exit status: 0 listed (even none); 2 bad usage; 4 /proc unreadable.`;

const options = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function psCommand(argv: readonly string[]): Promise<Outcome> {
  const { values, operands } = parseOperands('ps', argv, options);
  if (values.help) return { status: controlCodes.done, text: `${psUsage}\n` };
  if (operands.length > 0) throw new UsageError(`unexpected argument '${operands[0]}'`, 'usage: corral ps [--json]');
  const corrals = listCorrals();
  if (values.json) return { status: controlCodes.done, json: corrals.map(describeCorral) };
  return { status: controlCodes.done, text: formatPs(corrals, Date.now(), terminalWidth()) };
}

/** The --json shape: every field always present, null when it has no value. */
export function describeCorral(c: CorralInfo) {
  return {
    id: c.id,
    name: c.name ?? null,
    level: c.level,
    pid: c.pid,
    reaperPid: c.reaperPid,
    reaperStart: c.reaperStart,
    uid: c.uid,
    startedAt: c.startedAt.toISOString(),
    processes: c.processes,
    cpuMs: c.cpuMs,
    rssKiB: c.rssKiB,
    parentId: c.parentId ?? null,
    command: c.command,
    cgroup: c.cgroup ?? null,
    orphaned: c.orphaned,
  };
}

function formatPs(corrals: CorralInfo[], now: number, width: number | undefined): string {
  // PARENT only when it says something: most corrals are not nested.
  const nested = corrals.some((c) => c.parentId !== undefined);
  const header = ['ID', 'NAME', 'LEVEL', ...(nested ? ['PARENT'] : []), 'PID', 'PROCS', 'CPU', 'MEM', 'AGE', 'COMMAND'];
  const rows = corrals.map((c) => [
    c.id,
    c.name ?? '-',
    c.level,
    ...(nested ? [c.parentId ?? '-'] : []),
    c.pid === null ? '-' : String(c.pid),
    String(c.processes),
    formatCpu(c.cpuMs),
    formatMemory(c.rssKiB),
    formatAge(now - c.startedAt.getTime()),
    formatArgv(c.command),
  ]);
  return formatTable(header, rows, width);
}
