// corral wait ID|NAME: block until a tree started elsewhere is empty.
import { attachCorral } from '../../lookup/attach.js';
import { parseOperands, requireCorralOperand } from '../args.js';
import { controlCodes } from '../exit-codes.js';
import type { Outcome } from '../outcome.js';

export const waitUsage = `usage: corral wait [--json] ID|NAME

Waits until every process of the corral named by ID, a unique ID prefix, or NAME
has exited (its reaper leaves last). Main's exit status is not known from
outside: only whoever started the corral gets it.

      --json    print { id, name, reaperPid } once the tree is empty
  -h, --help    show this help

Exit status: 0 the tree is empty; 1 no such corral; 2 bad usage or a NAME
matching several corrals (they are listed); 3 the corral is another user's.`;

const options = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function waitCommand(argv: readonly string[]): Promise<Outcome> {
  const { values, operands } = parseOperands('wait', argv, options);
  if (values.help) return { status: controlCodes.done, text: `${waitUsage}\n` };
  const tree = await attachCorral(requireCorralOperand('wait', operands));
  await tree.done;
  const done = { id: tree.id, name: tree.name ?? null, reaperPid: tree.reaperPid };
  return values.json ? { status: controlCodes.done, json: done } : { status: controlCodes.done };
}
