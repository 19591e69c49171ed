// corral up [-f FILE] [-d] [--exit-on-exit] [--timestamps] [SERVICE...]: the project's services,
// each a corral of its own, supervised in the foreground or by a daemon (docs/services.md).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeSocket } from '../../up/supervisor/control-server.js';
import { daemonFlag, launchDaemon, notifyFdNumber } from '../../up/supervisor/daemon.js';
import { SupervisorRunningError } from '../../up/supervisor/errors.js';
import { hostSupervisor, notifyFd, type StartReport } from '../../up/supervisor/host.js';
import { ensurePrivateDir, projectPaths } from '../../up/supervisor/paths.js';
import { Supervisor } from '../../up/supervisor/supervisor.js';
import type { ProjectConfig } from '../../up/types.js';
import { parseOperands } from '../args.js';
import type { Outcome } from '../outcome.js';

// The daemon gets the project the CLI loaded and validated, as JSON in a private file: it never
// loads the YAML parser and the schema library (their ~16 MiB stay out of a long-lived process).
// So ./services.js (which loads configs) and the config loader are imported only when needed.
const projectFlag = '--project-json';

export const upUsage = `usage: corral up [OPTIONS] [SERVICE...]

Starts the project's services (SERVICE and what it depends on, or all), each as a
corral of its own, in dependency order, waiting for a dependency's readiness
check before its dependents start; restarts them by their policy; stops them by
killing their whole trees. Output: 'name | line' for every line of every service.

  -f, --file FILE     corral.yaml or Procfile (default: found in the current directory)
  -d, --detach        run the supervisor in the background; return once the
                      services are started (then: corral status/logs/stop/down)
      --exit-on-exit  stop everything as soon as one service exits, and exit with
                      its status (no restarts)
  -t, --timestamps    prefix each output line with its time
  -h, --help          show this help

^C (or SIGTERM) stops every service gracefully, dependents first; a second ^C
kills every tree at once. corral up exits once every tree is empty. As a
container's PID 1 it runs under corral-reaper --init, which reaps every zombie.

Exit status: 0 every service stopped on request, or exited 0; 1 a service failed
for good; 2 bad usage or a config error; 3 the project's supervisor is already
running; 4 system error. With --exit-on-exit: the first exiting service's status.`;

const options = {
  file: { type: 'string', short: 'f' },
  detach: { type: 'boolean', short: 'd' },
  'exit-on-exit': { type: 'boolean' },
  timestamps: { type: 'boolean', short: 't' },
  help: { type: 'boolean', short: 'h' },
  [daemonFlag.slice(2)]: { type: 'boolean' },
  [projectFlag.slice(2)]: { type: 'string' },
} as const;

export async function upCommand(argv: readonly string[]): Promise<Outcome> {
  const { values, operands } = parseOperands('up', argv, options);
  if (values.help) return { status: 0, text: `${upUsage}\n` };
  const daemon = values[daemonFlag.slice(2)] === true;
  const notify = daemon ? notifyFd(notifyFdNumber) : undefined;
  try {
    const json = values[projectFlag.slice(2)];
    const project: ProjectConfig =
      daemon && typeof json === 'string'
        ? readProjectJson(json)
        : (await import('../../up/supervisor/project.js')).loadProject({
            dir: process.cwd(),
            file: values.file,
            env: process.env,
          });
    if (values.detach && !daemon) return await detach(project, operands, values['exit-on-exit'] ?? false);
    const status = await hostSupervisor(project, {
      services: operands,
      exitOnExit: values['exit-on-exit'] ?? false,
      timestamps: values.timestamps ?? false,
      daemon,
      ...(notify ? { onStarted: notify } : {}),
    });
    return { status };
  } catch (error) {
    notify?.(reportOf(error)); // the waiting `up -d` prints it
    return (await import('./services.js')).outcomeOf(error);
  }
}

async function detach(project: ProjectConfig, services: string[], exitOnExit: boolean): Promise<Outcome> {
  new Supervisor(project).select(services); // an unknown SERVICE is bad usage here, not in the daemon's log
  const paths = projectPaths(project.project, project.dir);
  ensurePrivateDir(paths.base);
  ensurePrivateDir(paths.state);
  const found = await probeSocket(paths.socket);
  if (found !== 'none' && found !== 'stale')
    throw new SupervisorRunningError(project.project, found?.pid ?? null, paths.socket);
  const json = join(paths.state, 'project.json');
  writeFileSync(json, JSON.stringify(project), { mode: 0o600 });
  const report = await launchDaemon({
    cli: process.argv[1] as string,
    args: ['-f', project.file, projectFlag, json, ...(exitOnExit ? ['--exit-on-exit'] : []), '--', ...services],
    cwd: project.dir,
    env: process.env,
    log: paths.supervisorLog,
  });
  const { formatStatus, serviceStatusFor } = await import('./services.js');
  if (!report.ok) {
    const status = serviceStatusFor(report) ?? 4;
    return { status, error: report.hint ? `${report.error}\nhint: ${report.hint}` : report.error };
  }
  const failed = report.services.filter((s) => s.state === 'failed');
  const text = [
    `corral: project ${project.project} is up: supervisor pid ${report.supervisor.pid}`,
    `socket: ${report.supervisor.socket}`,
    `log:    ${report.supervisor.log}`,
    formatStatus(report.services).trimEnd(),
  ].join('\n');
  if (failed.length === 0) return { status: 0, text: `${text}\n` };
  return {
    status: 1,
    text: `${text}\n`,
    error: `${failed.map((s) => `${s.service}: ${s.reason ?? 'failed'}`).join('; ')}\nhint: see 'corral logs ${failed[0]?.service}'`,
  };
}

/** The project as `up -d` wrote it for the daemon (removed once read: it holds the services' environments). */
function readProjectJson(path: string): ProjectConfig {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ProjectConfig;
  } finally {
    rmSync(path, { force: true });
  }
}

function reportOf(error: unknown): StartReport {
  const e = error as Error & { code?: string; hint?: string };
  return { ok: false, error: e.message, code: e.code ?? 'CORRAL_ERR_CONTROL', ...(e.hint ? { hint: e.hint } : {}) };
}
