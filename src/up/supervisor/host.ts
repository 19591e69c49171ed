// Runs a project's supervisor in this process, in the foreground (output multiplexed on
// stdout, events on stderr) or as the daemon of `up -d` (output only to the log files, events
// to the supervisor's log): claims the socket, starts, serves, stops on signals, and returns
// the exit status once every tree is empty.
import { closeSync, writeSync } from 'node:fs';
import type { ProjectConfig } from '../types.js';
import { ControlServer } from './control-server.js';
import { createController, supervisorInfo } from './controller.js';
import { Batch, gateOn } from './lines.js';
import { LogStore } from './log-store.js';
import { ensurePrivateDir, type ProjectPaths, projectPaths } from './paths.js';
import { Prefixer, wantColour } from './prefix.js';
import type { SupervisorInfo } from './protocol.js';
import { collectStatus, type ServiceStatus } from './status.js';
import { Supervisor } from './supervisor.js';

export interface HostOptions {
  services: readonly string[];
  exitOnExit: boolean;
  timestamps: boolean;
  /** The daemon of `up -d`: no terminal output, keeps running when every service has ended. */
  daemon: boolean;
  /** Called once the start is done (or failed): the daemon tells the waiting `up -d`. */
  onStarted?: (report: StartReport) => void;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
}

export type StartReport =
  | { ok: true; supervisor: SupervisorInfo; services: ServiceStatus[] }
  | { ok: false; error: string; code: string; hint?: string };

const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export async function hostSupervisor(project: ProjectConfig, options: HostOptions): Promise<number> {
  const out = options.stdout ?? process.stdout;
  const err = options.stderr ?? process.stderr;
  const paths = projectPaths(project.project, project.dir, options.env);
  const gate = gateOn(out);
  const lines = new Batch((text) => {
    if (!out.write(text)) gate.block();
  });
  const event = (message: string): void => {
    lines.flush(); // on a terminal, a service's last lines come before what is said of it
    err.write(options.daemon ? `${new Date().toISOString()} ${message}\n` : `corral: ${message}\n`);
  };
  let logs: LogStore | undefined;
  let prefix: Prefixer | undefined;
  const supervisor = new Supervisor(project, {
    onLine: (name, line, time) => {
      logs?.append(name, line, time);
      if (prefix) lines.add(prefix.format(name, line, time));
    },
    gate,
    onEvent: event,
    exitOnExit: options.exitOnExit,
    exitWhenSettled: !options.daemon,
  });
  const chosen = supervisor.select(options.services); // an unknown name fails before anything exists
  preparePaths(paths);
  logs = new LogStore(paths.logs);
  // A crash (an uncaught exception) still writes the lines of its last turn.
  const flushAtExit = (): void => {
    lines.flush();
    logs?.flush();
  };
  process.on('exit', flushAtExit);
  const control = await ControlServer.listen(
    paths.socket,
    project.project,
    createController(supervisor, logs, paths, {
      onDown: async () => {
        event('down: every service stopped; the supervisor exits');
      },
    }),
  );
  if (!options.daemon) {
    prefix = new Prefixer(
      supervisor.instances.map((i) => i.name),
      { colour: wantColour(out, options.env), timestamps: options.timestamps },
    );
  }
  if (process.pid === 1) warnInit(event);
  const unhandle = handleSignals(supervisor, event, options.daemon);
  try {
    await supervisor.start(chosen.map((i) => i.name));
    options.onStarted?.({
      ok: true,
      supervisor: supervisorInfo(supervisor, paths),
      services: collectStatus(
        supervisor,
        chosen.map((i) => i.name),
      ),
    });
    return await supervisor.finished;
  } finally {
    lines.flush();
    process.off('exit', flushAtExit);
    unhandle();
    await control.close();
    logs.close();
  }
}

function preparePaths(paths: ProjectPaths): void {
  ensurePrivateDir(paths.base);
  ensurePrivateDir(paths.state);
  ensurePrivateDir(paths.logs);
}

/**
 * First SIGINT/SIGTERM (or SIGHUP in the foreground): a graceful stop of everything. A second
 * SIGINT or SIGTERM: SIGKILL to every tree at once.
 */
function handleSignals(supervisor: Supervisor, event: (m: string) => void, daemon: boolean): () => void {
  let received = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (daemon && signal === 'SIGHUP') return; // no terminal to lose; HUP is not a stop here
    received++;
    if (received === 1) {
      event(`${signal}: stopping every service${daemon ? '' : ' (again to kill everything at once)'}`);
      void supervisor.stopAll();
    } else if (signal !== 'SIGHUP') {
      event(`${signal} again: killing every tree`);
      supervisor.killAll();
    }
  };
  for (const signal of stopSignals) process.on(signal, onSignal);
  return () => {
    for (const signal of stopSignals) process.off(signal, onSignal);
  };
}

/** bin/corral runs `corral up` under `corral-reaper --init` as PID 1; started some other way, no one reaps strays. */
function warnInit(event: (m: string) => void): void {
  event(
    'running as PID 1 without an init: orphans outside the service trees (docker exec) stay zombies, as Node cannot wait for them; start it as bin/corral up (which runs it under corral-reaper --init) or under docker run --init',
  );
}

/** For the daemon: the report on fd 3, one JSON line, then fd 3 closed so that `up -d` returns. */
export function notifyFd(fd: number): (report: StartReport) => void {
  let sent = false;
  return (report) => {
    if (sent) return;
    sent = true;
    try {
      writeSync(fd, `${JSON.stringify(report)}\n`);
    } catch {
      // EPIPE: the waiting `up -d` was interrupted; the supervisor goes on
    }
    closeSync(fd);
  };
}
