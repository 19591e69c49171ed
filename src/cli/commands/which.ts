// corral which PID: the corral a process belongs to, and how it is attached to the reaper.
import { readStat } from '../../kernel/proc.js';
import { findOwner } from '../../lookup/owner.js';
import type { CorralRef } from '../../lookup/reaper-identity.js';
import { parseOperands } from '../args.js';
import { controlCodes } from '../exit-codes.js';
import { paint } from '../format.js';
import type { Outcome } from '../outcome.js';
import { UsageError } from '../usage-error.js';

export const whichUsage = `usage: corral which [--json] PID

Prints the corral that owns process PID (ID, NAME, level), the path from PID up
to that corral's reaper, and the corrals enclosing it, innermost first.

      --json    print an object: pid, corral { id, name, level, reaperPid, pid },
                path [{ pid, comm }], parents [corral…], isReaper
  -h, --help    show this help

Exit status: 0 PID belongs to a corral; 1 it is in none, or is gone; 2 bad usage.`;

const options = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function whichCommand(argv: readonly string[]): Promise<Outcome> {
  const { values, operands } = parseOperands('which', argv, options);
  if (values.help) return { status: controlCodes.done, text: `${whichUsage}\n` };
  const pid = parsePid(operands);
  const owner = findOwner(pid);
  if (owner === null) {
    const gone = readStat(pid) === undefined ? ': no such process' : '';
    return { status: controlCodes.noSuchCorral, error: `pid ${pid} is not in any corral${gone}` };
  }
  // comm is read now: a process on the path may have exited since the walk ('?').
  const path = owner.path.map((p) => ({ pid: p, comm: readStat(p)?.comm ?? '?' }));
  const answer = {
    pid,
    corral: describeRef(owner.corral),
    path,
    parents: owner.parents.map(describeRef),
    isReaper: owner.isReaper,
  };
  if (values.json) return { status: controlCodes.done, json: answer };
  const lines = [
    [paint('dim', 'corral '), refLine(owner.corral)],
    [paint('dim', 'path   '), path.map((p) => `${p.pid} ${p.comm}`).join(paint('dim', ' → '))],
    ...(owner.parents.length > 0
      ? [[paint('dim', 'inside '), owner.parents.map(refLine).join(paint('dim', ' → '))]]
      : []),
  ];
  return { status: controlCodes.done, text: lines.map((l) => `${l.join(' ')}\n`).join('') };
}

function parsePid(operands: string[]): number {
  const [text, extra] = operands;
  if (text === undefined) throw new UsageError('missing PID', 'usage: corral which PID');
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`, 'usage: corral which PID');
  const pid = /^\d+$/.test(text) ? Number(text) : 0;
  if (!Number.isSafeInteger(pid) || pid < 1)
    throw new UsageError(`invalid PID '${text}'`, 'a PID is a positive number');
  return pid;
}

function describeRef(ref: CorralRef) {
  return { id: ref.id, name: ref.name ?? null, level: ref.level, reaperPid: ref.reaperPid, pid: ref.pid };
}

function refLine(ref: CorralRef): string {
  return `${ref.id}${ref.name ? ` ${ref.name}` : ''} ${paint('dim', `(${ref.level})`)}`;
}
