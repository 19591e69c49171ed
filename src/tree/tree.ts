// Tree: the handle on one running corral. Its state comes from the reaper's events and /proc.
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { ReaperError } from '../errors.js';
import { groupMembers, killAndRemoveGroup } from '../kernel/cgroup.js';
import { descendantsOf } from '../kernel/proc.js';
import { defaults, type NormalizedOptions, type ResolvedLevel } from '../options.js';
import type { ReaperClient, ReaperExit } from '../reaper/client.js';
import type { ReaperEvent, Totals } from '../reaper/protocol.js';
import type { MainExit, TreeResult } from './result.js';
import { parseSignal, signalName } from './signal.js';
import { armTimer, validateDuration } from './timeout.js';

const SIGKILL = 9;
const SIGCONT_AFTER = true;

export interface KillOptions {
  /** ms (or a duration string) before SIGKILL; Infinity = never escalate. */
  grace?: number | string;
}

export class Tree extends EventEmitter {
  readonly id: string;
  readonly name: string | undefined;
  readonly level: ResolvedLevel;
  readonly pid: number;
  /** Sandbox: the init (pid 1 inside), outside pid; not a member. 0 in other levels. */
  readonly initPid: number;
  /** cgroup level (or sandbox with a cgroup): the tree's group directory. */
  readonly cgroup: string | undefined;
  readonly reaperPid: number;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  readonly exited: Promise<MainExit>;
  readonly done: Promise<TreeResult>;

  readonly #client: ReaperClient;
  readonly #options: NormalizedOptions;
  readonly #startedAt: number;
  #exit: MainExit | undefined;
  #totals: Totals | undefined;
  #finished = false;
  #timedOut = false;
  #killed = false;
  #leftovers = 0;
  #escalation: { deadline: number; cancel(): void } | undefined;
  #sent = new Set<number>();
  #timeout: { cancel(): void } | undefined;
  #resolveExited!: (exit: MainExit) => void;
  #oomKills = 0;
  #pidsMaxHits = 0;

  constructor(
    client: ReaperClient,
    options: NormalizedOptions,
    ids: { main: number; init: number; cgroup: string | undefined },
    startedAt: number,
  ) {
    super();
    const mainPid = ids.main;
    this.level = options.level;
    this.initPid = ids.init;
    this.cgroup = ids.cgroup;
    this.#client = client;
    this.#options = options;
    this.#startedAt = startedAt;
    this.id = options.id;
    this.name = options.name;
    this.pid = mainPid;
    this.reaperPid = client.pid;
    this.stdin = client.process.stdin;
    this.stdout = client.process.stdout;
    this.stderr = client.process.stderr;
    this.exited = new Promise((resolve) => {
      this.#resolveExited = resolve;
    });
    this.done = new Promise((resolve, reject) => {
      client.on('event', (event: ReaperEvent) => this.#onEvent(event, resolve));
      client.on('exit', (exit: ReaperExit) => this.#onReaperExit(exit, reject));
    });
    this.done.catch(() => {}); // observed through done/kill(); never an unhandled rejection
    this.#timeout = armTimer(options.timeoutMs, () => {
      if (this.#finished) return;
      this.#timedOut = true;
      this.emit('timeout', signalName(options.killSignal));
      this.#stop(options.killSignal, options.killAfterMs, true);
    });
  }

  /** Live members (main and every descendant), read from /proc now. */
  pids(): number[] {
    if (this.#finished || !this.#client.running) return [];
    const tree = descendantsOf(this.reaperPid).filter((pid) => pid !== this.initPid);
    if (this.cgroup === undefined) return tree;
    // The group's members: the same processes, unless root inside moved one out (or in).
    return [...new Set([...tree, ...groupMembers(this.cgroup)])].filter((pid) => pid !== this.initPid);
  }

  /** Sends `signal` to every member of the tree, once each. */
  signal(signal: NodeJS.Signals | number | string): void {
    const signo = parseSignal(signal);
    if (signo === SIGKILL) this.#stop(SIGKILL, 0, true);
    else this.#client.signal(signo, false);
  }

  /** `signal` (then SIGCONT) to every member, SIGKILL after `grace`; resolves when the tree is empty. */
  kill(
    signal: NodeJS.Signals | number | string = this.#options.killSignal,
    options: KillOptions = {},
  ): Promise<TreeResult> {
    const signo = parseSignal(signal);
    const grace =
      options.grace === Number.POSITIVE_INFINITY
        ? Number.POSITIVE_INFINITY
        : validateDuration('grace', options.grace, this.#options.killAfterMs);
    this.#stop(signo, grace, true);
    return this.done;
  }

  #stop(signo: number, graceMs: number, byUser: boolean): void {
    if (this.#finished) return;
    if (byUser && this.#exit === undefined) this.#killed = true;
    if (signo === SIGKILL || graceMs === 0) {
      this.#sent.add(SIGKILL);
      this.#client.kill();
      return;
    }
    // A second TERM can mean "force quit" to a program: each stop signal goes once, unless asked for again.
    if (byUser || !this.#sent.has(signo)) this.#client.signal(signo, SIGCONT_AFTER);
    this.#sent.add(signo);
    this.#escalateBy(graceMs);
  }

  /** SIGKILL at the earliest deadline any stop asked for; an infinite grace asks for none. */
  #escalateBy(graceMs: number): void {
    if (!Number.isFinite(graceMs)) return;
    const deadline = performance.now() + graceMs;
    if (this.#escalation && this.#escalation.deadline <= deadline) return;
    this.#escalation?.cancel();
    const timer = armTimer(graceMs, () => {
      this.emit('escalate');
      this.#sent.add(SIGKILL);
      this.#client.kill();
    });
    this.#escalation = { deadline, cancel: () => timer.cancel() };
  }

  #onEvent(event: ReaperEvent, resolve: (r: TreeResult) => void): void {
    if (event.type === 'exited') {
      this.#exit = {
        exitCode: event.exitCode,
        signal: event.signal === null ? null : signalName(event.signal),
        coreDumped: event.core,
      };
      this.#resolveExited(this.#exit);
      this.emit('exit', this.#exit);
      if (this.#options.leftovers === 'kill') this.#stopLeftovers();
    } else if (event.type === 'empty' && this.#exit !== undefined) {
      // The tree is empty: done now; the reaper exits as soon as its socket is closed.
      this.#totals = event.totals;
      this.#finish();
      const result = this.#result();
      this.emit('done', result);
      resolve(result);
    } else if (event.type === 'limits') {
      this.#oomKills = event.oomKills;
      this.#pidsMaxHits = event.pidsMaxHits;
    } else if (event.type === 'warn') {
      this.emit('warning', new ReaperError(`corral-reaper: ${event.what} (errno ${event.errno})`));
    }
  }

  /**
   * Main is gone: what is left gets the kill signal (unless a stop already sent
   * it) and SIGKILL after the grace, also when a stop by another signal (^C's
   * SIGINT) left processes that ignore it.
   */
  #stopLeftovers(): void {
    if (this.#sent.has(SIGKILL)) return; // everything is being killed already
    const left = this.pids().length;
    if (left === 0) return;
    if (!this.#killed && !this.#timedOut) this.#leftovers = left;
    const grace = this.#options.killAfterMs;
    this.#stop(this.#options.killSignal, Number.isFinite(grace) ? grace : defaults.killAfterMs, false);
  }

  #finish(): void {
    this.#finished = true;
    this.#timeout?.cancel();
    this.#escalation?.cancel();
  }

  #onReaperExit(exit: ReaperExit, reject: (e: Error) => void): void {
    if (this.#finished) return;
    this.#finish();
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`;
    if (this.#exit === undefined) this.#resolveExited({ exitCode: null, signal: null, coreDumped: false });
    if (this.cgroup === undefined) {
      reject(new ReaperError(`corral-reaper ${how} before the tree was empty; its processes may have escaped`));
      return;
    }
    // The group still holds every member, orphaned or not: kill them all through it, then remove it.
    const dir = this.cgroup;
    void killAndRemoveGroup(dir).then((removed) => {
      this.emit('warning', new ReaperError(`corral-reaper ${how}; the tree was killed through its cgroup ${dir}`));
      reject(
        new ReaperError(
          removed
            ? `corral-reaper ${how} before the tree was empty; every process of the tree was killed through its cgroup`
            : `corral-reaper ${how}; its cgroup ${dir} could not be emptied and removed: run \`corral kill ${this.id}\``,
        ),
      );
    });
  }

  #result(): TreeResult {
    const exit = this.#exit as MainExit;
    return {
      id: this.id,
      name: this.name,
      level: this.level,
      command: [this.#options.file, ...this.#options.args],
      pid: this.pid,
      reaperPid: this.reaperPid,
      ...exit,
      timedOut: this.#timedOut,
      killed: this.#killed,
      leftovers: this.#leftovers,
      limit: this.#timedOut ? 'timeout' : this.#oomKills > 0 ? 'memory' : this.#pidsMaxHits > 0 ? 'processes' : null,
      oomKills: this.#oomKills,
      durationMs: Math.round((performance.now() - this.#startedAt) * 1000) / 1000,
      totals: this.#totals as Totals,
    };
  }
}
