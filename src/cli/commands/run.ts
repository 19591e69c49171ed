// corral run [OPTIONS] [--] COMMAND [ARG...]
import { parseOptions } from '../args.js';
import type { Outcome } from '../outcome.js';
import { UsageError } from '../usage-error.js';
import { wrapCommand } from '../wrap.js';

export const runUsage = `usage: corral run [OPTIONS] [--] COMMAND [ARG...]

Runs COMMAND as a corral: when it ends, when it times out or when corral is
interrupted, its whole process tree is stopped, however its processes forked,
double-forked or called setsid().

  -t, --timeout DURATION   stop the tree after DURATION (10, 1.5s, 2m, 1h, 1d; 0 = none)
  -s, --signal SIGNAL      first signal of a stop (default TERM)
  -k, --kill-after DURATION
                           SIGKILL the tree this long after SIGNAL (default 5s)
      --wait               when COMMAND exits, wait for the rest of the tree
                           instead of stopping it (still bounded by --timeout)
      --foreground         keep COMMAND in corral's process group (reads from the tty)
      --name NAME          name the corral (shown by ps and usable by kill)
      --level LEVEL        containment level: auto (default) or track
      --json               print the result as JSON on stdout when the tree is gone
  -v, --verbose            print a summary line on stderr when the tree is gone
  -h, --help               show this help

Exit status: COMMAND's; 128+N if it died of signal N; 124 timed out;
125 corral failed; 126 COMMAND not executable; 127 COMMAND not found.`;

const options = {
  timeout: { type: 'string', short: 't' },
  signal: { type: 'string', short: 's' },
  'kill-after': { type: 'string', short: 'k' },
  wait: { type: 'boolean' },
  foreground: { type: 'boolean' },
  name: { type: 'string' },
  level: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runCommand(argv: readonly string[]): Promise<Outcome> {
  const { values, rest } = parseOptions('run', argv, options);
  if (values.help) return { status: 0, text: `${runUsage}\n` };
  const [file, ...args] = rest;
  if (file === undefined) throw new UsageError('missing COMMAND', 'usage: corral run [OPTIONS] -- COMMAND [ARG...]');
  const killAfter = values['kill-after'] ?? '5s';
  return wrapCommand(
    file,
    args,
    {
      timeout: values.timeout,
      killSignal: values.signal,
      killAfter,
      leftovers: values.wait ? 'wait' : 'kill',
      foreground: values.foreground,
      name: values.name,
      level: values.level as 'auto',
    },
    {
      json: values.json ?? false,
      summary: values.verbose ?? false,
      announce: values.verbose ?? false,
      preserveStatus: false,
      forwardGrace: killAfter,
    },
  );
}
