// corral timeout [OPTION] DURATION COMMAND [ARG...]: GNU timeout, but the whole tree dies.
import { InvalidOptionError } from '../../errors.js';
import { parseSignal } from '../../tree/signal.js';
import { parseDuration } from '../../tree/timeout.js';
import { parseOptions } from '../args.js';
import type { Outcome } from '../outcome.js';
import { UsageError } from '../usage-error.js';
import { wrapCommand } from '../wrap.js';

export const timeoutUsage = `usage: corral timeout [OPTION] DURATION COMMAND [ARG...]

Start COMMAND, and kill its whole process tree if still running after DURATION.
A drop-in for GNU timeout: same options, durations and exit statuses.

  -s, --signal=SIGNAL      signal to send on time out (default TERM); a name
                           like HUP or a number
  -k, --kill-after=DURATION
                           also send KILL if still running this long after the
                           initial signal
      --preserve-status    exit with the same status as COMMAND, even on time out
      --foreground         keep COMMAND in corral's process group so it can read
                           the tty and get tty signals (its children are still
                           timed out and killed, unlike GNU timeout)
  -v, --verbose            diagnose to stderr any signal sent upon timeout
  -h, --help               show this help

DURATION is a number with an optional suffix: s (seconds, the default),
m (minutes), h (hours) or d (days); fractions are allowed; 0 disables the timeout.

Exit status: 124 if COMMAND times out and --preserve-status is not given
(137 if it had to be KILLed); 125 if corral itself fails; 126 if COMMAND is
found but cannot be invoked; 127 if COMMAND cannot be found; otherwise
COMMAND's status (128+N if it died of signal N).`;

const options = {
  signal: { type: 'string', short: 's' },
  'kill-after': { type: 'string', short: 'k' },
  'preserve-status': { type: 'boolean' },
  foreground: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

const durationHint = 'use a number with an optional s, m, h or d suffix, e.g. 10, 1.5m, 2h; 0 disables the timeout';

export async function timeoutCommand(argv: readonly string[]): Promise<Outcome> {
  const { values, rest } = parseOptions('timeout', argv, options);
  if (values.help) return { status: 0, text: `${timeoutUsage}\n` };
  const [duration, file, ...args] = rest;
  if (duration === undefined) throw new UsageError('missing DURATION and COMMAND', "try 'corral timeout --help'");
  const timeoutMs = parseDuration(duration);
  if (timeoutMs === undefined) throw new UsageError(`invalid time interval '${duration}'`, durationHint);
  if (file === undefined)
    throw new UsageError('missing COMMAND', 'usage: corral timeout [OPTION] DURATION COMMAND [ARG...]');
  const killAfterText = values['kill-after'];
  const killAfter = killAfterText === undefined ? Number.POSITIVE_INFINITY : parseDuration(killAfterText);
  if (killAfter === undefined) throw new UsageError(`invalid time interval '${killAfterText}'`, durationHint);
  let killSignal: number | undefined;
  try {
    killSignal = values.signal === undefined ? undefined : parseSignal(values.signal);
  } catch (error) {
    if (!(error instanceof InvalidOptionError)) throw error;
    throw new UsageError(
      `${values.signal}: invalid signal`,
      'use a name like TERM, HUP, INT or a number like 9 (see kill -l)',
    );
  }
  return wrapCommand(
    file,
    args,
    {
      timeout: timeoutMs,
      killSignal,
      killAfter: killAfter === 0 ? Number.POSITIVE_INFINITY : killAfter,
      foreground: values.foreground,
    },
    {
      json: false,
      summary: false,
      announce: values.verbose ?? false,
      preserveStatus: values['preserve-status'] ?? false,
      forwardGrace: killAfter === 0 ? Number.POSITIVE_INFINITY : killAfter,
    },
  );
}
