// One running copy of a service: its corral (when it has one), its state and restart history.
import type { Tree } from '../../tree/tree.js';
import type { ServiceConfig } from '../types.js';
import type { Exit } from './backoff.js';
import type { Probe } from './readiness.js';

/**
 * waiting   wanted, but a dependency is not up yet
 * starting  its tree runs; its readiness probe has not passed yet
 * running   up (and ready, for a service with a probe)
 * backoff   exited on its own; restarts after a delay
 * stopping  its stop signal went to every member; waiting for the tree to be empty
 * stopped   not running, as asked (or never started)
 * exited    exited 0 and its policy says done (restart: no / on-failure)
 * failed    gave up: exited non-zero without a restart, too many restarts, or could not start
 */
export type ServiceState =
  | 'waiting'
  | 'starting'
  | 'running'
  | 'backoff'
  | 'stopping'
  | 'stopped'
  | 'exited'
  | 'failed';

export class Instance {
  readonly service: ServiceConfig;
  /** `web`, or `web.2` when the service has scale > 1. */
  readonly name: string;
  readonly index: number;
  /** The corral's name: `<project>/<name>`. */
  readonly corralName: string;
  state: ServiceState = 'stopped';
  /** Should it be up? False once asked to stop. */
  wanted = false;
  tree: Tree | undefined;
  /** spawn() is in flight: the tree does not exist yet, but will. */
  launching = false;
  /** Its tree got the stop signal (or SIGKILL) already. */
  stopSent = false;
  /** SIGKILL at once whatever spawn() is about to hand over. */
  killOnLaunch = false;
  probe: Probe | undefined;
  /** Stops the tree if its probe has not passed by `ready.timeout`. */
  readyTimer: NodeJS.Timeout | undefined;
  /** Set when that happened: why, for the exit it leads to. */
  notReady: string | undefined;
  /** Date.now() when its main process started; undefined while it has no tree. */
  startedAt: number | undefined;
  restarts = 0;
  /** Times of recent exits that led to a restart (see decideRestart). */
  recentExits: number[] = [];
  lastExit: Exit | undefined;
  /** Why it is in its state, for status: "exited 1; restarting in 400ms". */
  reason: string | undefined;
  timer: NodeJS.Timeout | undefined;

  constructor(service: ServiceConfig, index: number, project: string) {
    this.service = service;
    this.index = index;
    this.name = service.scale > 1 ? `${service.name}.${index}` : service.name;
    this.corralName = `${project}/${this.name}`;
  }

  /** Has (or is about to have) processes. */
  get live(): boolean {
    return this.launching || this.tree !== undefined;
  }
}
