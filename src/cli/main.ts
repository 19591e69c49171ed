#!/usr/bin/env node
// corral CLI entry: dispatch, one-line errors, and the only process.exit.
import {
  AmbiguousCorralError,
  CorralError,
  InvalidOptionError,
  NoSuchCorralError,
  NotPermittedError,
  SpawnError,
} from '../errors.js';
import { controlCodes, exitCodes } from './exit-codes.js';
import type { Outcome } from './outcome.js';
import { UsageError } from './usage-error.js';

const usage = `usage: corral COMMAND [ARG...]

  run [OPTIONS] -- COMMAND [ARG...]          run a command as one process tree
  timeout [OPTION] DURATION COMMAND [ARG...] GNU timeout, but the whole tree dies

  ps                                         list the live corrals
  tree [ID|NAME]                             show each corral's processes as a tree
  which PID                                  the corral a process belongs to
  kill [-s SIGNAL] [--grace D] ID|NAME       stop a whole tree and wait until it is empty
  wait ID|NAME                               wait until a tree is empty
  doctor [--json]                            what this machine allows: levels, why not, fixes

  up [-f FILE] [-d] [SERVICE...]             run a project's services (Procfile, corral.yaml)
  status | logs [-f] | stop | start | restart [SERVICE...]
                                             ask the project's supervisor
  down                                       stop every service and the supervisor

Run 'corral COMMAND --help' for a command's options.
Exit statuses: docs/exit-codes.md. Debug output: --debug or NODE_DEBUG=corral.`;

// Commands are imported when used: start-up stays lean.
const commands: Record<string, () => Promise<(argv: readonly string[]) => Promise<Outcome>>> = {
  run: async () => (await import('./commands/run.js')).runCommand,
  timeout: async () => (await import('./commands/timeout.js')).timeoutCommand,
  ps: async () => (await import('./commands/ps.js')).psCommand,
  tree: async () => (await import('./commands/tree.js')).treeCommand,
  which: async () => (await import('./commands/which.js')).whichCommand,
  kill: async () => (await import('./commands/kill.js')).killCommand,
  wait: async () => (await import('./commands/wait.js')).waitCommand,
  doctor: async () => (await import('./commands/doctor.js')).doctorCommand,
  up: async () => (await import('./commands/up.js')).upCommand,
  status: async () => (await import('./commands/services.js')).statusCommand,
  logs: async () => (await import('./commands/services.js')).logsCommand,
  stop: async () => (await import('./commands/services.js')).stopCommand,
  start: async () => (await import('./commands/services.js')).startCommand,
  restart: async () => (await import('./commands/services.js')).restartCommand,
  down: async () => (await import('./commands/services.js')).downCommand,
};

/** The services' commands (docs/services.md): control statuses too, plus their own. */
const services = ['up', 'status', 'logs', 'stop', 'start', 'restart', 'down'];
/** Commands that run nothing: their statuses are the "Control commands" table, not GNU timeout's. */
const control = new Set(['ps', 'tree', 'which', 'kill', 'wait', 'doctor', ...services]);

async function main(argv: string[]): Promise<Outcome> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    return { status: name === undefined ? exitCodes.failed : 0, text: `${usage}\n` };
  }
  if (name === '--version' || name === '-V') return { status: 0, text: `${await version()}\n` };
  const load = commands[name];
  if (!load) throw new UsageError(`unknown command '${name}'`, "run 'corral --help' for the list of commands");
  return (await load())(rest);
}

async function version(): Promise<string> {
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `corral ${pkg.version}`;
}

const debug = process.argv.includes('--debug') || /\bcorral\b/.test(process.env.NODE_DEBUG ?? '');
const argv = process.argv.slice(2).filter((a, i) => !(a === '--debug' && i === 0));

function fail(error: unknown): Outcome {
  const lines = [`corral: ${describe(error)}`];
  const hint = error instanceof CorralError || error instanceof UsageError ? error.hint : undefined;
  if (hint) lines.push(`hint: ${hint}`);
  if (debug && error instanceof Error && error.stack) lines.push(error.stack);
  process.stderr.write(`${lines.join('\n')}\n`);
  return { status: statusFor(error) };
}

function describe(error: unknown): string {
  if (error instanceof UsageError || error instanceof CorralError) return error.message;
  if (error instanceof Error) return `internal error: ${error.message}`;
  return `internal error: ${String(error)}`;
}

function statusFor(error: unknown): number {
  if (control.has(argv[0] ?? '')) return controlStatusFor(error);
  if (error instanceof SpawnError)
    return error.code === 'CORRAL_ERR_COMMAND_NOT_FOUND' ? exitCodes.notFound : exitCodes.cannotExecute;
  return exitCodes.failed;
}

function controlStatusFor(error: unknown): number {
  if (error instanceof NoSuchCorralError) return controlCodes.noSuchCorral;
  if (error instanceof UsageError || error instanceof InvalidOptionError || error instanceof AmbiguousCorralError)
    return controlCodes.usage;
  if (error instanceof NotPermittedError) return controlCodes.notPermitted;
  return controlCodes.system;
}

function finish(outcome: Outcome): void {
  const out = outcome.json !== undefined ? `${JSON.stringify(outcome.json, null, 2)}\n` : (outcome.text ?? '');
  const stream = outcome.status === exitCodes.failed && outcome.text ? process.stderr : process.stdout;
  const exit = (): void => {
    if (outcome.raise) {
      // Die of the same signal as the command, so that a calling shell sees it (and stops a loop on ^C).
      process.removeAllListeners(outcome.raise);
      process.kill(process.pid, outcome.raise);
    }
    process.exit(outcome.status);
  };
  if (outcome.error) process.stderr.write(`corral: ${outcome.error}\n`);
  // Whatever is still queued for stdout (corral up's last lines, to a slow reader) goes first.
  if (out) stream.write(out, exit);
  else if (process.stdout.writableLength > 0) process.stdout.write('', exit);
  else exit();
}

process.stdout.on('error', () => {}); // EPIPE from a closed reader: the status still matters
main(argv).catch(fail).then(finish);
