// corral run [OPTIONS] [--] COMMAND [ARG...]
import { resolve } from 'node:path';
import { type Level, parseCpus, parseSize } from '../../options.js';
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
      --level LEVEL        containment level: auto (default), track, cgroup or sandbox
                           (see 'corral doctor' for what this machine allows)
      --sandbox            short for --level sandbox
      --max-procs N        at most N processes (threads count) in the tree: forks
                           beyond fail (cgroup pids.max, or RLIMIT_NPROC in a sandbox)
      --max-memory SIZE    memory limit (512M, 2G; cgroup memory.max): OOM kill beyond
      --max-cpu CPUS       CPU limit in CPUs (0.5, 2; cgroup cpu.max): throttled beyond
      --no-network         sandbox: only a private loopback, no unix sockets
      --read-only          sandbox: no writes outside --writable (Landlock)
      --writable PATH      a path that stays writable under --read-only (repeatable)
      --no-new-privs       setuid binaries and file capabilities grant nothing
      --json               print the result as JSON on stdout when the tree is gone
  -v, --verbose            print a summary line on stderr when the tree is gone
  -h, --help               show this help

Exit status: COMMAND's; 128+N if it died of signal N; 124 timed out;
123 COMMAND failed after the memory limit OOM-killed part of the tree;
122 COMMAND failed after the process limit refused a fork;
125 corral failed (also: a level or limit this machine cannot provide);
126 COMMAND not executable; 127 COMMAND not found.`;

const options = {
  timeout: { type: 'string', short: 't' },
  signal: { type: 'string', short: 's' },
  'kill-after': { type: 'string', short: 'k' },
  wait: { type: 'boolean' },
  foreground: { type: 'boolean' },
  name: { type: 'string' },
  level: { type: 'string' },
  sandbox: { type: 'boolean' },
  'max-procs': { type: 'string' },
  'max-memory': { type: 'string' },
  'max-cpu': { type: 'string' },
  'no-network': { type: 'boolean' },
  'read-only': { type: 'boolean' },
  writable: { type: 'string', multiple: true },
  'no-new-privs': { type: 'boolean' },
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
      level: chooseLevel(values.level, values.sandbox),
      maxProcesses: values['max-procs'] === undefined ? undefined : count('--max-procs', values['max-procs']),
      maxMemory: values['max-memory'] === undefined ? undefined : size('--max-memory', values['max-memory']),
      maxCpu: values['max-cpu'] === undefined ? undefined : cpus('--max-cpu', values['max-cpu']),
      network: values['no-network'] ? false : undefined,
      readOnly: values['read-only'],
      writable: values.writable?.map((p) => resolve(p)),
      noNewPrivileges: values['no-new-privs'],
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

function chooseLevel(level: string | undefined, sandbox: boolean | undefined): Level | undefined {
  if (sandbox && level !== undefined && level !== 'sandbox') {
    throw new UsageError(`--sandbox conflicts with --level ${level}`, 'give one of them');
  }
  return (sandbox ? 'sandbox' : level) as Level | undefined;
}

function size(flag: string, text: string): number {
  const bytes = parseSize(text);
  if (bytes === undefined)
    throw new UsageError(`${flag} expects a size, got '${text}'`, `e.g. ${flag} 512M (k, M, G, T: binary units)`);
  return bytes;
}

function cpus(flag: string, text: string): number {
  const n = parseCpus(text);
  if (n === undefined)
    throw new UsageError(`${flag} expects a number of CPUs from 0.01 to 10000, got '${text}'`, `e.g. ${flag} 0.5`);
  return n;
}

/** A whole number for a flag; the library checks the range and says what is expected. */
function count(flag: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} expects a whole number, got '${text}'`, `e.g. ${flag} 100`);
  return Number(text);
}
