// Starts a corral-reaper and speaks the protocol to it over fd 3.
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { ReaperError } from '../errors.js';
import type { NormalizedOptions } from '../options.js';
import type { LevelPlan } from '../tree/levels.js';
import { decodeEvent, encodeKill, encodeSignal, PROTOCOL_VERSION, type ReaperEvent } from './protocol.js';

export interface ReaperExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Events: 'event' (ReaperEvent), 'exit' (ReaperExit), 'error' (ReaperError, never thrown). */
export class ReaperClient extends EventEmitter {
  readonly process: ChildProcess;
  readonly pid: number;
  /** False once Node has reaped the reaper: from then on its pid may be anyone's. */
  running = true;
  #control: Socket;
  #buffer = '';

  constructor(path: string, options: NormalizedOptions, plan: LevelPlan) {
    super();
    this.process = spawn(path, reaperArgv(options, plan), {
      cwd: options.cwd,
      env: options.env,
      stdio: [...options.stdio, 'pipe'],
      argv0: 'corral-reaper',
    });
    // First of all: a failed spawn (ENOENT, EACCES, EMFILE, a cwd we may not enter) is an
    // 'error' and never an 'exit', and Node may not even have made the stdio.
    this.process.on('error', (error) => {
      this.emit('error', new ReaperError(`cannot start corral-reaper: ${error.message}`, error));
      if (this.process.pid === undefined) this.emit('exit', { code: null, signal: null } satisfies ReaperExit);
    });
    const control = this.process.stdio[3] as Socket | null | undefined;
    if (!control) {
      this.process.kill('SIGKILL'); // our own child (if it exists at all), not yet reaped
      throw new ReaperError('cannot start corral-reaper: no control socket (out of file descriptors?)');
    }
    this.#control = control;
    this.pid = this.process.pid ?? 0;
    this.#control.setEncoding('latin1');
    this.#control.on('data', (chunk: string) => this.#read(chunk));
    this.#control.on('error', () => {}); // EPIPE/ECONNRESET once the reaper is gone: its exit says the rest
    // 'exit' can come before the last events are read: report it once fd 3 is drained too.
    const exited = new Promise<ReaperExit>((resolve) =>
      this.process.once('exit', (code, signal) => {
        this.running = false;
        resolve({ code, signal });
      }),
    );
    const drained = new Promise<void>((resolve) => this.#control.once('close', () => resolve()));
    void Promise.all([exited, drained]).then(([exit]) => this.emit('exit', exit));
    // After `empty` the reaper waits for us to close fd 3, so nothing we write meanwhile can fail.
    this.on('event', (event: ReaperEvent) => event.type === 'empty' && this.disconnect());
  }

  signal(signo: number, cont: boolean): void {
    this.#send(encodeSignal(signo, cont));
  }

  kill(): void {
    this.#send(encodeKill());
  }

  /** Closing our end is what a dying controller does: the reaper kills the tree and exits. */
  disconnect(): void {
    this.#control.destroy();
  }

  #send(line: string): void {
    if (!this.#control.destroyed && this.#control.writable) this.#control.write(line);
  }

  #read(chunk: string): void {
    this.#buffer += chunk;
    for (let nl = this.#buffer.indexOf('\n'); nl >= 0; nl = this.#buffer.indexOf('\n')) {
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      const event = decodeEvent(line);
      if (event?.type === 'hello' && event.version !== PROTOCOL_VERSION) {
        this.emit(
          'error',
          new ReaperError(
            `corral-reaper speaks protocol ${event.version}, this library ${PROTOCOL_VERSION}: rebuild it with \`npm rebuild corral\``,
          ),
        );
        this.disconnect();
        return;
      }
      if (event) this.emit('event', event satisfies ReaperEvent);
    }
  }
}

function reaperArgv(options: NormalizedOptions, plan: LevelPlan): string[] {
  // --main: ten digits the reaper overwrites with main's pid, so /proc/PID/cmdline tells it.
  const argv = ['--id', options.id, '--level', plan.level, '--main', '0000000000', '--parent', String(process.pid)];
  if (options.name !== undefined) argv.push('--name', options.name);
  if (options.foreground) argv.push('--foreground');
  if (options.noNewPrivileges) argv.push('--no-new-privs');
  if (plan.cgroup) {
    argv.push('--cgroup', plan.cgroup.dir);
    if (plan.cgroup.pidsMax !== undefined) argv.push('--pids-max', String(plan.cgroup.pidsMax));
    if (plan.cgroup.memoryMax !== undefined) argv.push('--memory-max', String(plan.cgroup.memoryMax));
    if (plan.cgroup.cpuMax !== undefined) argv.push('--cpu-max', String(plan.cgroup.cpuMax));
  }
  if (plan.level === 'sandbox') {
    argv.push('--sandbox');
    if (plan.sandboxProcesses !== undefined) argv.push('--max-processes', String(plan.sandboxProcesses));
    if (!options.sandbox.network) argv.push('--no-network');
    if (options.sandbox.readOnly) argv.push('--read-only');
    for (const path of options.sandbox.writable) argv.push('--writable', path);
  }
  if (options.ignoredSignals.length > 0) {
    const mask = options.ignoredSignals.reduce((m, n) => m | (1n << BigInt(n - 1)), 0n);
    argv.push('--ignore', mask.toString(16));
  }
  argv.push('--', options.file, ...options.args);
  return argv;
}
