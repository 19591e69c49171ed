// corral status | logs | stop | start | restart | down: talk to a project's supervisor over its
// control socket (docs/services.md). The project is found like `corral up` finds it.
import { existsSync } from 'node:fs';
import { readStat } from '../../kernel/proc.js';
import { request } from '../../up/supervisor/control-client.js';
import { NoSupervisorError } from '../../up/supervisor/errors.js';
import { type LogLine, readTail } from '../../up/supervisor/log-store.js';
import { checkPrivateDir, type ProjectPaths, projectPaths } from '../../up/supervisor/paths.js';
import { Prefixer, wantColour } from '../../up/supervisor/prefix.js';
import { ConfigError, loadProject } from '../../up/supervisor/project.js';
import type { ServiceStatus } from '../../up/supervisor/status.js';
import { Supervisor } from '../../up/supervisor/supervisor.js';
import type { ProjectConfig } from '../../up/types.js';
import { parseOperands } from '../args.js';
import { controlCodes } from '../exit-codes.js';
import { formatAge, formatCpu, formatMemory, formatTable, terminalWidth } from '../format.js';
import type { Outcome } from '../outcome.js';
import { UsageError } from '../usage-error.js';

const statusLine = `Exit status: 0 done; 1 no supervisor is running for the project; 2 bad usage,
a config error or an unknown SERVICE; 4 system error.`;

const fileOption = `  -f, --file FILE   the project's corral.yaml or Procfile (default: found in the
                    current directory, as corral up does)`;

export const statusUsage = `usage: corral status [-f FILE] [--json] [SERVICE...]

The project's services as the supervisor sees them: state, main pid, processes in
the tree, restarts, uptime, CPU and memory of the live members, and why.

${fileOption}
      --json        print { project, supervisor, services: [...] }
  -h, --help        show this help

${statusLine}`;

export const logsUsage = `usage: corral logs [--file FILE] [-f] [-n N] [-t] [SERVICE...]

The services' output, kept on disk per service (10 MiB x 2 files each), as
'name | line', merged in time order.

      --file FILE   the project's corral.yaml or Procfile (-f means --follow here)
  -f, --follow      keep printing new lines (needs a running supervisor)
  -n, --lines N     the last N lines of each service (default: all)
  -t, --timestamps  prefix each line with its time
  -h, --help        show this help

${statusLine}`;

const controlUsage = (verb: string, what: string): string => `usage: corral ${verb} [-f FILE] [SERVICE...]

${what} (every service when none is named), then prints their states.

${fileOption}
  -h, --help        show this help

${statusLine}`;

export const stopUsage = controlUsage(
  'stop',
  'Stops SERVICE: its stop signal to every process of its tree, SIGKILL after its\nstop grace; returns when every tree is empty. It stays stopped until started',
);
export const startUsage = controlUsage('start', 'Starts SERVICE (and what it depends on) if it is not running');
export const restartUsage = controlUsage('restart', 'Stops SERVICE as stop does, then starts it again');
export const downUsage = `usage: corral down [-f FILE]

Stops every service (dependents first), waits until every tree is empty, and
stops the supervisor, which removes its socket.

${fileOption}
  -h, --help        show this help

${statusLine}`;

const common = { file: { type: 'string', short: 'f' }, help: { type: 'boolean', short: 'h' } } as const;

interface Located {
  project: ProjectConfig;
  paths: ProjectPaths;
}

/** The project (from -f or the current directory) and where its supervisor would be. */
export function locateProject(file: string | undefined): Located {
  const project = loadProject({ dir: process.cwd(), file, env: process.env });
  return { project, paths: projectPaths(project.project, project.dir) };
}

/** No private directory means no supervisor; a directory that is not ours alone is refused. */
function ensureReachable({ project, paths }: Located): void {
  if (!existsSync(paths.base)) throw new NoSupervisorError(project.project, paths.socket);
  checkPrivateDir(paths.base);
}

export async function statusCommand(argv: readonly string[]): Promise<Outcome> {
  const { values, operands } = parseOperands('status', argv, { ...common, json: { type: 'boolean' } });
  if (values.help) return { status: controlCodes.done, text: `${statusUsage}\n` };
  return guarded(async () => {
    const located = locateProject(values.file);
    ensureReachable(located);
    const reply = await request(located.paths.socket, located.project.project, { cmd: 'status', services: operands });
    const services = reply.services ?? [];
    if (values.json)
      return {
        status: controlCodes.done,
        json: { project: located.project.project, supervisor: reply.supervisor, services },
      };
    return { status: controlCodes.done, text: formatStatus(services) };
  });
}

export function formatStatus(services: readonly ServiceStatus[]): string {
  const rows = services.map((s) => [
    s.service,
    s.state,
    s.pid === null ? '-' : String(s.pid),
    String(s.processes),
    String(s.restarts),
    s.uptimeMs === null ? '-' : formatAge(s.uptimeMs),
    s.cpuMs === null ? '-' : formatCpu(s.cpuMs),
    s.rssKiB === null ? '-' : formatMemory(s.rssKiB),
    s.reason ?? '',
  ]);
  return formatTable(
    ['SERVICE', 'STATE', 'PID', 'PROCS', 'RESTARTS', 'UPTIME', 'CPU', 'MEM', 'NOTE'],
    rows,
    terminalWidth(),
  );
}

export async function logsCommand(argv: readonly string[]): Promise<Outcome> {
  const { values, operands } = parseOperands('logs', argv, {
    file: { type: 'string' },
    follow: { type: 'boolean', short: 'f' },
    lines: { type: 'string', short: 'n' },
    timestamps: { type: 'boolean', short: 't' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return { status: controlCodes.done, text: `${logsUsage}\n` };
  const lines = values.lines === undefined ? null : Number(values.lines);
  if (lines !== null && !(Number.isInteger(lines) && lines >= 0))
    throw new UsageError(`--lines expects a whole number, got '${values.lines}'`, 'e.g. corral logs -n 50 web');
  return guarded(async () => {
    const located = locateProject(values.file);
    const names = new Supervisor(located.project).select(operands).map((i) => i.name);
    const prefix = new Prefixer(names, { colour: wantColour(process.stdout), timestamps: values.timestamps ?? false });
    const print = (l: LogLine): void => {
      process.stdout.write(prefix.format(l.service, l.line, new Date(l.time)));
    };
    const follow = values.follow ?? false;
    try {
      ensureReachable(located);
      await request(
        located.paths.socket,
        located.project.project,
        { cmd: 'logs', services: names, lines, follow },
        print,
      );
    } catch (error) {
      // Without a supervisor the files are still there to read; only following needs one.
      if (!(error instanceof NoSupervisorError) || follow) throw error;
      for (const l of readTail(located.paths.logs, names, lines ?? Number.POSITIVE_INFINITY)) print(l);
    }
    return { status: controlCodes.done };
  });
}

function controlCommand(verb: 'stop' | 'start' | 'restart', usage: string) {
  return async (argv: readonly string[]): Promise<Outcome> => {
    const { values, operands } = parseOperands(verb, argv, common);
    if (values.help) return { status: controlCodes.done, text: `${usage}\n` };
    return guarded(async () => {
      const located = locateProject(values.file);
      ensureReachable(located);
      const reply = await request(located.paths.socket, located.project.project, { cmd: verb, services: operands });
      return { status: controlCodes.done, text: formatStatus(reply.services ?? []) };
    });
  };
}

export const stopCommand = controlCommand('stop', stopUsage);
export const startCommand = controlCommand('start', startUsage);
export const restartCommand = controlCommand('restart', restartUsage);

/** After `down` replies, the supervisor only closes its connections: this long at most. */
const exitBoundMs = 10_000;

export async function downCommand(argv: readonly string[]): Promise<Outcome> {
  const { values, operands } = parseOperands('down', argv, common);
  if (values.help) return { status: controlCodes.done, text: `${downUsage}\n` };
  if (operands.length > 0)
    throw new UsageError(`unexpected argument '${operands[0]}'`, "use 'corral stop SERVICE' for one service");
  return guarded(async () => {
    const located = locateProject(values.file);
    ensureReachable(located);
    const reply = await request(located.paths.socket, located.project.project, { cmd: 'down' });
    const { pid, start } = reply.supervisor;
    // The same process, proven by its start time (a reused pid is not waited for); a zombie has exited.
    const running = (): boolean => {
      const stat = readStat(pid);
      return stat !== undefined && stat.startTime === start && stat.state !== 'Z';
    };
    const deadline = Date.now() + exitBoundMs;
    while (running() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return { status: controlCodes.done, text: `corral: project ${located.project.project} is down\n` };
  });
}

/** Statuses: the control table, plus 1 for "no supervisor" (docs/exit-codes.md, "corral up"). */
export async function guarded(fn: () => Promise<Outcome>): Promise<Outcome> {
  try {
    return await fn();
  } catch (error) {
    return outcomeOf(error);
  }
}

/** The outcome for an error with a status of ours; anything else is rethrown for main.ts. */
export function outcomeOf(error: unknown): Outcome {
  const status = serviceStatusFor(error);
  if (status === undefined) throw error;
  const e = error as Error & { hint?: string };
  return { status, error: e.hint ? `${e.message}\nhint: ${e.hint}` : e.message };
}

/** Errors the services' commands give their own status; others go to main.ts (2 usage, 4 system). */
export function serviceStatusFor(error: unknown): number | undefined {
  if (error instanceof ConfigError) return controlCodes.usage;
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'CORRAL_ERR_NO_SUPERVISOR':
      return 1;
    case 'CORRAL_ERR_CONFIG': // the daemon's report of a ConfigError
    case 'CORRAL_ERR_NO_CONFIG':
    case 'CORRAL_ERR_NO_SUCH_SERVICE':
      return controlCodes.usage;
    case 'CORRAL_ERR_SUPERVISOR_RUNNING':
      return 3;
    case 'CORRAL_ERR_UNSAFE_RUNTIME_DIR':
    case 'CORRAL_ERR_CONTROL':
      return controlCodes.system;
    default:
      return undefined;
  }
}
