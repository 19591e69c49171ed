// What each control request does to the supervisor: the handler behind the socket.
import { readStat } from '../../kernel/proc.js';
import type { Handler } from './control-server.js';
import { ControlError } from './errors.js';
import { type LogStore, readTail } from './log-store.js';
import type { ProjectPaths } from './paths.js';
import { controlVersion, type Reply, type Request, type SupervisorInfo } from './protocol.js';
import { collectStatus } from './status.js';
import type { Supervisor } from './supervisor.js';

export interface ControllerHooks {
  /** `down`: everything is stopped; the host closes the socket and exits after the reply. */
  onDown(): Promise<void>;
}

export function supervisorInfo(supervisor: Supervisor, paths: ProjectPaths): SupervisorInfo {
  return {
    version: controlVersion,
    pid: process.pid,
    start: readStat(process.pid)?.startTime ?? 0,
    project: supervisor.project.project,
    dir: supervisor.project.dir,
    file: supervisor.project.file,
    socket: paths.socket,
    log: paths.supervisorLog,
  };
}

export function createController(
  supervisor: Supervisor,
  logs: LogStore,
  paths: ProjectPaths,
  hooks: ControllerHooks,
): Handler {
  const info = supervisorInfo(supervisor, paths);
  const ok = (services?: string[]): Reply => ({
    ok: true,
    supervisor: info,
    ...(services === undefined ? {} : { services: collectStatus(supervisor, services) }),
  });
  return async (raw, send, closed) => {
    const request = validate(raw);
    switch (request.cmd) {
      case 'ping':
        return ok();
      case 'status':
        return ok(request.services ?? []);
      case 'stop':
        await supervisor.stop(request.services);
        return ok(request.services);
      case 'start':
        refuseWhileStopping(supervisor);
        await supervisor.start(request.services);
        return ok(request.services);
      case 'restart':
        refuseWhileStopping(supervisor);
        await supervisor.restart(request.services);
        return ok(request.services);
      case 'down':
        await supervisor.stopAll();
        await hooks.onDown();
        return ok([]);
      case 'logs': {
        const names = supervisor.select(request.services).map((i) => i.name);
        const wanted = new Set(names);
        // Subscribed before the history is read: a line cannot fall between the two.
        const queued: Parameters<Parameters<LogStore['follow']>[0]>[0][] = [];
        let live = false;
        const unfollow = request.follow
          ? logs.follow((line) => {
              if (!wanted.has(line.service)) return;
              if (live) send({ log: line });
              else queued.push(line);
            })
          : () => {};
        logs.flush(); // what is pending is history too
        for (const line of readTail(logs.dir, names, request.lines ?? Number.POSITIVE_INFINITY)) send({ log: line });
        if (request.follow) {
          for (const line of queued) send({ log: line });
          live = true;
          await Promise.race([closed, supervisor.finished]);
          unfollow();
        }
        return ok();
      }
    }
  };
}

function refuseWhileStopping(supervisor: Supervisor): void {
  if (supervisor.stopping)
    throw new ControlError(
      'the supervisor is stopping everything (down or a signal)',
      'wait for it to exit, then corral up again',
    );
}

function validate(raw: unknown): Request {
  const r = raw as Partial<Request> & Record<string, unknown>;
  const names = (v: unknown): string[] => {
    if (v === undefined) return [];
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v;
    throw new ControlError('bad request: services must be a list of names');
  };
  switch (r?.cmd) {
    case 'ping':
    case 'down':
      return { cmd: r.cmd };
    case 'status':
      return { cmd: 'status', services: names(r.services) };
    case 'stop':
    case 'start':
    case 'restart':
      return { cmd: r.cmd, services: names(r.services) };
    case 'logs':
      return {
        cmd: 'logs',
        services: names(r.services),
        lines: typeof r.lines === 'number' && r.lines >= 0 ? r.lines : null,
        follow: r.follow === true,
      };
    default:
      throw new ControlError(`bad request: unknown command ${JSON.stringify(r?.cmd)}`);
  }
}
