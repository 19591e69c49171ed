// corral tree [ID|NAME]: each corral's processes as an indented tree, like pstree or systemd-cgls.
import { listPids, type ProcStat, readCmdline, readStat } from '../../kernel/proc.js';
import { findCorral } from '../../lookup/attach.js';
import { type CorralInfo, listCorrals } from '../../lookup/list.js';
import { parseCorralOperand, parseOperands } from '../args.js';
import { controlCodes } from '../exit-codes.js';
import { formatArgv, paint, terminalWidth, truncate } from '../format.js';
import type { Outcome } from '../outcome.js';

export const treeUsage = `usage: corral tree [--json] [ID|NAME]

Shows every live corral (or the one named by ID, a unique ID prefix, or NAME)
as a header line — ID, NAME, level, reaper pid — and its processes below it,
each as PID STATE COMMAND. A corral started inside another appears in the outer
one's tree as its reaper, and again with a tree of its own.

      --json    print an array of corrals: id, name, level, pid, reaperPid,
                parentId, children; each child: pid, ppid, state, comm, command,
                reaperOf (the corral it is the reaper of, or null), children
  -h, --help    show this help

Exit status: 0 shown; 1 no such corral; 2 bad usage or a NAME matching several;
4 /proc unreadable.`;

const options = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface ProcNode {
  pid: number;
  ppid: number;
  state: string;
  comm: string;
  command: string[];
  reaperOf: string | null;
  children: ProcNode[];
}

interface Snapshot {
  stats: Map<number, ProcStat>;
  children: Map<number, ProcStat[]>;
}

export async function treeCommand(argv: readonly string[]): Promise<Outcome> {
  const { values, operands } = parseOperands('tree', argv, options);
  if (values.help) return { status: controlCodes.done, text: `${treeUsage}\n` };
  const target = parseCorralOperand(operands);
  const corrals = listCorrals();
  const chosen = target === undefined ? corrals : [findCorral(target, corrals)];
  const snapshot = takeSnapshot();
  const reapers = new Map(corrals.map((c) => [c.reaperPid, c.id]));
  // A corral that ended between the listing and the snapshot has no tree left to show.
  const live = chosen.filter((c) => snapshot.stats.get(c.reaperPid)?.startTime === c.reaperStart);
  const trees = live.map((c) => ({ corral: c, children: buildNodes(c.reaperPid, snapshot, reapers) }));
  if (values.json) return { status: controlCodes.done, json: trees.map(describeTree) };
  const width = terminalWidth();
  return { status: controlCodes.done, text: trees.map((t) => formatTree(t.corral, t.children, width)).join('\n') };
}

/** One scan of /proc: every process's stat, and who is whose child, as of (nearly) one moment. */
function takeSnapshot(): Snapshot {
  const stats = new Map<number, ProcStat>();
  const children = new Map<number, ProcStat[]>();
  for (const pid of listPids()) {
    const stat = readStat(pid);
    if (!stat) continue; // exited during the scan
    stats.set(pid, stat);
    const siblings = children.get(stat.ppid);
    if (siblings) siblings.push(stat);
    else children.set(stat.ppid, [stat]);
  }
  // Oldest first, as they were forked; pids wrap around, start times do not.
  for (const list of children.values()) list.sort((a, b) => a.startTime - b.startTime || a.pid - b.pid);
  return { stats, children };
}

// Walking down from the reaper cannot loop: every process has one parent, so a ppid cycle (pids
// reused mid-scan) is never connected to the reaper.
function buildNodes(pid: number, snapshot: Snapshot, reapers: Map<number, string>): ProcNode[] {
  return (snapshot.children.get(pid) ?? []).map((stat) => ({
    pid: stat.pid,
    ppid: stat.ppid,
    state: stat.state,
    comm: stat.comm,
    command: readCmdline(stat.pid),
    reaperOf: reapers.get(stat.pid) ?? null,
    children: buildNodes(stat.pid, snapshot, reapers),
  }));
}

function describeTree({ corral: c, children }: { corral: CorralInfo; children: ProcNode[] }) {
  return {
    id: c.id,
    name: c.name ?? null,
    level: c.level,
    pid: c.pid,
    reaperPid: c.reaperPid,
    parentId: c.parentId ?? null,
    children,
  };
}

function formatTree(c: CorralInfo, children: ProcNode[], width: number | undefined): string {
  const details = [c.level, `reaper ${c.reaperPid}`, ...(c.parentId ? [`inside ${c.parentId}`] : [])];
  const lines = [`${paint('bold', c.name ? `${c.id} ${c.name}` : c.id)} ${paint('dim', `(${details.join(', ')})`)}`];
  const walk = (nodes: ProcNode[], indent: string): void => {
    nodes.forEach((node, i) => {
      const last = i === nodes.length - 1;
      const branch = `${indent}${last ? '└─ ' : '├─ '}`;
      const label = `${node.pid} ${node.state} ${commandOf(node)}`;
      lines.push(`${paint('dim', branch)}${truncate(label, width === undefined ? undefined : width - branch.length)}`);
      walk(node.children, `${indent}${last ? '   ' : '│  '}`);
    });
  };
  walk(children, '');
  return `${lines.join('\n')}\n`;
}

function commandOf(node: ProcNode): string {
  // A nested reaper's argv is its protocol with us; which corral it holds is what a reader wants.
  if (node.reaperOf !== null) return `${node.comm} [corral ${node.reaperOf}]`;
  // No argv: a zombie or a kernel thread; [comm] as ps(1) shows it.
  return node.command.length > 0 ? formatArgv(node.command) : `[${node.comm}]`;
}
