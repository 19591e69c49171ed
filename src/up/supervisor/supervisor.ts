// The supervisor: every service instance is a corral of its own, started in dependency order,
// restarted by its policy, stopped by killing its whole tree (stop signal to every member,
// SIGKILL after the grace), dependents before their dependencies.
import { EventEmitter } from 'node:events';
import { signalNumber } from '../../tree/signal.js';
import type { Tree } from '../../tree/tree.js';
import type { ProjectConfig } from '../types.js';
import { decideRestart, describeExit, type Exit, formatMs } from './backoff.js';
import { ServiceGraph } from './graph.js';
import type { Instance, ServiceState } from './instance.js';
import type { OutputGate } from './lines.js';
import { startProbe } from './readiness.js';
import { pipeOutput, spawnInstance } from './spawn-instance.js';

export interface SupervisorOptions {
  /** Each line of a service's output, as it comes (the foreground printer and the log store). */
  onLine?: (instance: string, line: string, time: Date) => void;
  /** Back-pressure from where `onLine` writes: services' output pauses while it is blocked. */
  gate?: OutputGate;
  /** What the supervisor does and why: "worker: exited 1; restarting in 400ms". */
  onEvent?: (message: string) => void;
  /** Stop everything as soon as one instance ends on its own (`up --exit-on-exit`). */
  exitOnExit?: boolean;
  /** Finish once nothing runs and nothing can start any more (foreground `up`). */
  exitWhenSettled?: boolean;
}

export class Supervisor extends EventEmitter {
  readonly project: ProjectConfig;
  readonly instances: readonly Instance[];
  readonly #options: SupervisorOptions;
  readonly #graph: ServiceGraph;
  #stoppingAll = false;
  #requested = false;
  #exitStatus: number | undefined;
  #resolveFinished!: (status: number) => void;
  readonly finished: Promise<number>;

  constructor(project: ProjectConfig, options: SupervisorOptions = {}) {
    super();
    this.project = project;
    this.#options = options;
    this.#graph = new ServiceGraph(project);
    this.instances = this.#graph.instances;
    this.finished = new Promise((resolve) => {
      this.#resolveFinished = resolve;
    });
  }

  /** Instances named by service (`web`: every copy) or instance (`web.2`); all when `names` is empty. */
  select(names: readonly string[]): Instance[] {
    return this.#graph.select(names);
  }

  /**
   * Starts the named services and everything they depend on; resolves once each named one is
   * up (running, ready if it has a probe) or has ended trying (failed, exited, stopped).
   */
  async start(names: readonly string[] = []): Promise<void> {
    if (this.#stoppingAll) return;
    const chosen = this.select(names);
    for (const inst of this.#graph.withDependencies(chosen)) {
      if (inst.live || inst.state === 'backoff' || inst.state === 'waiting') continue;
      inst.wanted = true;
      inst.recentExits = [];
      this.#set(inst, 'waiting', undefined);
    }
    this.#schedule();
    await this.#until(() =>
      chosen.every(
        (i) =>
          !i.wanted || i.state === 'running' || (!i.live && i.state !== 'waiting') || this.#graph.blockedForGood(i),
      ),
    );
  }

  /** Stops the named instances at once (dependents are left alone); resolves when their trees are empty. */
  async stop(names: readonly string[]): Promise<void> {
    const chosen = this.select(names);
    for (const inst of chosen) this.#stopInstance(inst);
    this.#schedule();
    await this.#until(() => chosen.every((i) => !i.live));
  }

  async restart(names: readonly string[]): Promise<void> {
    await this.stop(names);
    await this.start(names);
  }

  /**
   * Stops everything, dependents first: an instance gets its stop signal once every instance
   * depending on it has no process left. Resolves when every tree is empty.
   */
  async stopAll(): Promise<void> {
    this.#requested = true;
    if (!this.#stoppingAll) {
      this.#stoppingAll = true;
      for (const inst of this.instances) {
        inst.wanted = false;
        if (inst.launching) this.#set(inst, 'stopping', undefined);
        else if (!inst.tree) this.#stopInstance(inst);
      }
      this.#schedule();
    }
    await this.#until(() => this.instances.every((i) => !i.live));
  }

  /** SIGKILL to every tree at once (the second ^C). */
  killAll(): void {
    this.#requested = true;
    this.#stoppingAll = true;
    for (const inst of this.instances) {
      inst.wanted = false;
      if (inst.launching) inst.killOnLaunch = true;
      if (inst.timer) this.#stopInstance(inst);
      if (inst.tree) {
        inst.stopSent = true;
        this.#set(inst, 'stopping', 'killed');
        void inst.tree.kill('SIGKILL').catch(() => {});
      }
    }
    this.#schedule();
  }

  get stopping(): boolean {
    return this.#stoppingAll;
  }

  /** Re-evaluates what may start or stop now; called after every change of state. */
  #schedule(): void {
    if (this.#stoppingAll) {
      for (const inst of this.instances) {
        if (inst.tree && !inst.stopSent && !this.#graph.hasLiveDependents(inst)) this.#stopInstance(inst);
      }
    } else {
      for (const inst of this.instances) {
        if (inst.state !== 'waiting' || !inst.wanted) continue;
        const blocking = this.#graph.blocking(inst);
        if (blocking.length === 0) void this.#launch(inst);
        else inst.reason = `waiting for ${blocking.join(', ')}`;
      }
    }
    this.emit('change');
    this.#checkFinished();
  }

  #checkFinished(): void {
    if (this.instances.some((i) => i.live || i.timer !== undefined)) return;
    const settled =
      this.#options.exitWhenSettled &&
      !this.instances.some((i) => i.state === 'waiting' && i.wanted && !this.#graph.blockedForGood(i));
    if (!this.#stoppingAll && !settled) return;
    const failed = this.instances.some((i) => i.state === 'failed');
    this.#resolveFinished(this.#exitStatus ?? (this.#requested ? 0 : failed ? 1 : 0));
  }

  async #launch(inst: Instance): Promise<void> {
    inst.launching = true;
    inst.stopSent = false;
    inst.killOnLaunch = false;
    this.#set(inst, 'starting', undefined);
    let tree: Tree;
    try {
      tree = await spawnInstance(inst, this.project.project);
    } catch (error) {
      inst.launching = false;
      if (!inst.wanted) this.#set(inst, 'stopped', undefined);
      else this.#set(inst, 'failed', `could not start: ${(error as Error).message}`);
      this.#event(`${inst.name}: ${inst.reason ?? 'stopped'}`);
      this.#schedule();
      return;
    }
    inst.launching = false;
    inst.tree = tree;
    inst.startedAt = Date.now();
    const probe = inst.service.ready ? startProbe(inst.service.ready, inst.service) : undefined;
    inst.probe = probe;
    const drained = pipeOutput(
      tree,
      (line) => {
        probe?.line(line);
        this.#options.onLine?.(inst.name, line, new Date());
      },
      this.#options.gate,
    );
    void tree.done
      .then(
        (result): Exit => ({ exitCode: result.exitCode, signal: result.signal }),
        (error: Error): Exit => {
          this.#event(`${inst.name}: ${error.message}`);
          return { exitCode: null, signal: null };
        },
      )
      .then(async (exit) => {
        // Ended before the timeout: its end is its own, whatever the probe still takes to wind down.
        if (inst.tree === tree) {
          clearTimeout(inst.readyTimer);
          inst.readyTimer = undefined;
        }
        await drained; // every line is out before the exit is told
        await this.#onDone(inst, tree, exit);
      });
    if (inst.killOnLaunch) {
      inst.stopSent = true;
      void tree.kill('SIGKILL').catch(() => {});
      this.#set(inst, 'stopping', 'killed');
    } else if (!inst.wanted) {
      // Asked to stop while it started: now it can be. (During stopAll, #schedule keeps the order.)
      if (!this.#stoppingAll) this.#stopInstance(inst);
    } else if (probe) {
      this.#event(`${inst.name}: started (pid ${tree.pid}); waiting for ${probe.what}`);
      const { timeoutMs } = inst.service.ready as NonNullable<typeof inst.service.ready>;
      inst.readyTimer = setTimeout(() => {
        inst.readyTimer = undefined;
        // Not while it is being stopped anyway (stop, down): that keeps its own order and reason.
        if (inst.tree !== tree || inst.state !== 'starting' || inst.stopSent || !inst.wanted || this.#stoppingAll)
          return;
        // Not ready in time: stopped like any stop (signal, grace, KILL), and its end counts as a failure.
        inst.notReady = `not ready within ${formatMs(timeoutMs)} (waiting for ${probe.what})`;
        inst.stopSent = true;
        this.#set(inst, 'stopping', `${inst.notReady}; ${inst.service.stopSignal} sent`);
        this.#event(`${inst.name}: ${inst.notReady}; stopping it`);
        void tree.kill(inst.service.stopSignal, { grace: inst.service.stopGraceMs }).catch(() => {});
      }, timeoutMs);
      void probe.ready.then(() => {
        if (inst.tree !== tree || inst.state !== 'starting') return;
        clearTimeout(inst.readyTimer);
        inst.readyTimer = undefined;
        this.#set(inst, 'running', undefined);
        this.#event(`${inst.name}: ready`);
        this.#schedule();
      });
    } else {
      this.#set(inst, 'running', undefined);
      this.#event(`${inst.name}: started (pid ${tree.pid})`);
    }
    this.#schedule();
  }

  async #onDone(inst: Instance, tree: Tree, ended: Exit): Promise<void> {
    await inst.probe?.cancel();
    if (inst.tree !== tree) return;
    clearTimeout(inst.readyTimer);
    inst.readyTimer = undefined;
    const exit: Exit = inst.notReady === undefined ? ended : { ...ended, notReady: inst.notReady };
    inst.notReady = undefined;
    inst.tree = undefined;
    inst.probe = undefined;
    inst.startedAt = undefined;
    inst.lastExit = exit;
    if (!inst.wanted) {
      this.#set(inst, 'stopped', undefined);
      this.#event(`${inst.name}: stopped`);
    } else if (this.#options.exitOnExit) {
      const ok = exit.exitCode === 0 && exit.notReady === undefined;
      this.#set(inst, ok ? 'exited' : 'failed', describeExit(exit));
      this.#event(`${inst.name}: ${describeExit(exit)}; stopping everything (--exit-on-exit)`);
      this.#exitStatus ??=
        exit.notReady !== undefined
          ? 1
          : (exit.exitCode ?? (exit.signal === null ? 1 : 128 + signalNumber(exit.signal)));
      void this.stopAll();
    } else {
      this.#decide(inst, exit);
    }
    this.#schedule();
  }

  #decide(inst: Instance, exit: Exit): void {
    const service = inst.service;
    const { decision, recent } = decideRestart(service.restart, service.backoff, exit, inst.recentExits, Date.now());
    inst.recentExits = recent;
    if (decision.action === 'exited') {
      this.#set(inst, 'exited', describeExit(exit));
      this.#event(`${inst.name}: ${describeExit(exit)}`);
    } else if (decision.action === 'failed') {
      this.#set(inst, 'failed', decision.reason);
      this.#event(`${inst.name}: ${decision.reason}`);
    } else {
      const why = `${describeExit(exit)}; restarting in ${formatMs(decision.delayMs)}`;
      this.#set(inst, 'backoff', why);
      this.#event(`${inst.name}: ${why}`);
      inst.timer = setTimeout(() => {
        inst.timer = undefined;
        if (!inst.wanted || inst.state !== 'backoff') return;
        inst.restarts++;
        void this.#launch(inst);
      }, decision.delayMs);
    }
  }

  /** Stop signal to every member, SIGKILL after the grace; or just "stopped" if it has no tree. */
  #stopInstance(inst: Instance): void {
    inst.wanted = false;
    if (inst.timer) {
      clearTimeout(inst.timer);
      inst.timer = undefined;
    }
    if (inst.tree) {
      if (inst.stopSent) return;
      inst.stopSent = true;
      this.#set(
        inst,
        'stopping',
        `${inst.service.stopSignal} sent; SIGKILL after ${formatMs(inst.service.stopGraceMs)}`,
      );
      void inst.tree.kill(inst.service.stopSignal, { grace: inst.service.stopGraceMs }).catch(() => {});
    } else if (inst.launching) {
      this.#set(inst, 'stopping', undefined); // #launch stops it as soon as spawn() hands it over
    } else if (inst.state === 'waiting' || inst.state === 'backoff') {
      this.#set(inst, 'stopped', undefined);
    }
  }

  #set(inst: Instance, state: ServiceState, reason: string | undefined): void {
    inst.state = state;
    inst.reason = reason;
  }

  #event(message: string): void {
    this.#options.onEvent?.(message);
  }

  /** Resolves once `condition` holds, re-checked after every change. */
  #until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (!condition()) return;
        this.off('change', check);
        resolve();
      };
      this.on('change', check);
    });
  }
}
