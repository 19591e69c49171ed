// corral kill ID|NAME: stop a whole tree started elsewhere, and (by default) wait until it is empty.
import { InvalidOptionError } from '../../errors.js';
import { attachCorral, toReaperSignal } from '../../lookup/attach.js';
import { parseSignal, signalName } from '../../tree/signal.js';
import { parseDuration } from '../../tree/timeout.js';
import { parseOperands, requireCorralOperand } from '../args.js';
import { controlCodes } from '../exit-codes.js';
import type { Outcome } from '../outcome.js';
import { UsageError } from '../usage-error.js';

export const killUsage = `usage: corral kill [OPTIONS] ID|NAME

Sends SIGNAL to every process of the corral named by ID, a unique ID prefix, or
NAME, SIGKILLs whatever is left after --grace, and waits until the tree is empty.

  -s, --signal SIGNAL   first signal (default TERM): HUP, INT, QUIT, TERM, USR1,
                        USR2, WINCH, or KILL to kill the whole tree at once
      --grace DURATION  SIGKILL this long after SIGNAL (default 5s; 0 = at once,
                        inf = never)
      --no-wait         only send SIGNAL, and return: no SIGKILL follows
      --json            print { id, name, reaperPid, signal, waited } when done
  -h, --help            show this help

Exit status: 0 done; 1 no such corral; 2 bad usage or a NAME matching several
corrals (they are listed); 3 the corral is another user's; 4 system error.`;

const options = {
  signal: { type: 'string', short: 's' },
  grace: { type: 'string' },
  'no-wait': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function killCommand(argv: readonly string[]): Promise<Outcome> {
  const { values, operands } = parseOperands('kill', argv, options);
  if (values.help) return { status: controlCodes.done, text: `${killUsage}\n` };
  const target = requireCorralOperand('kill', operands);
  const signal = parseSignalOption(values.signal ?? 'TERM');
  const grace = parseGrace(values.grace ?? '5s');
  const wait = !values['no-wait'];
  if (!wait && values.grace !== undefined)
    throw new UsageError('--grace needs the wait that --no-wait turns off', 'drop one of them');
  const tree = await attachCorral(target);
  if (wait) await tree.kill(signal, { grace });
  else await tree.signal(signal);
  const done = {
    id: tree.id,
    name: tree.name ?? null,
    reaperPid: tree.reaperPid,
    signal: signalName(signal),
    waited: wait,
  };
  return values.json ? { status: controlCodes.done, json: done } : { status: controlCodes.done };
}

/** Checked before the corral is looked up: a bad signal is bad usage whatever the corral. */
function parseSignalOption(text: string): number {
  let signo: number;
  try {
    signo = parseSignal(text);
  } catch (error) {
    if (!(error instanceof InvalidOptionError)) throw error;
    throw new UsageError(`${text}: invalid signal`, 'use a name like TERM, INT, HUP, KILL or a number like 9');
  }
  try {
    toReaperSignal(signo);
  } catch {
    throw new UsageError(
      `${signalName(signo)} cannot be sent to a whole tree from outside`,
      'use HUP, INT, QUIT, TERM, USR1, USR2, WINCH, or KILL',
    );
  }
  return signo;
}

function parseGrace(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined)
    throw new UsageError(
      `invalid --grace '${text}'`,
      'use a number with an optional s, m, h or d suffix, e.g. 10, 1.5m',
    );
  return ms;
}
