// Runs one tree in the CLI's foreground: shared by `corral run` and `corral timeout`.
import type { SpawnOptions } from '../options.js';
import type { TreeResult } from '../tree/result.js';
import { isKnownSignal, signalNumber } from '../tree/signal.js';
import { spawnTree } from '../tree/spawn.js';
import type { Tree } from '../tree/tree.js';
import { exitCodes, signalStatus } from './exit-codes.js';
import { formatSummary } from './format.js';
import type { Outcome } from './outcome.js';

export interface WrapFlags {
  json: boolean;
  /** Print the summary line on stderr when the tree is gone. */
  summary: boolean;
  /** Name each signal sent on timeout, as GNU timeout -v. */
  announce: boolean;
  preserveStatus: boolean;
  /** Grace after a forwarded stopping signal before SIGKILL (GNU: only with -k). */
  forwardGrace: number | string;
}

/** Stopping signals: forwarded with SIGCONT and then escalated, as timeout(1) does. */
const stopping = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;
/** Passed on as they are. */
const passed = ['SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT', 'SIGALRM', 'SIGPWR'] as const;

export async function wrapCommand(
  file: string,
  args: string[],
  options: SpawnOptions,
  flags: WrapFlags,
): Promise<Outcome> {
  // Handlers first: a signal that comes while the tree starts is held, then passed on, not lost
  // (or taken by Node's defaults: SIGUSR1 would start its inspector).
  const forwarder = forwardSignals(flags.forwardGrace);
  let tree: Tree;
  try {
    tree = await spawnTree(file, args, { stdio: 'inherit', ignoredSignals: callerIgnored(), ...options });
  } catch (error) {
    forwarder.stop();
    throw error;
  }
  forwarder.attach(tree);
  if (flags.announce) announceTimeout(tree, file);
  try {
    const result = await tree.done;
    if (flags.summary) process.stderr.write(`${formatSummary(result)}\n`);
    return {
      status: statusOf(result, flags.preserveStatus),
      raise: raiseFor(result),
      json: flags.json ? result : undefined,
    };
  } finally {
    forwarder.stop();
  }
}

function forwardSignals(grace: number | string): { attach(tree: Tree): void; stop(): void } {
  let target: Tree | undefined;
  const held: NodeJS.Signals[] = [];
  const pass = (tree: Tree, sig: NodeJS.Signals): void => {
    if ((stopping as readonly string[]).includes(sig)) void tree.kill(sig, { grace });
    else tree.signal(sig);
  };
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const sig of [...stopping, ...passed]) {
    handlers.set(sig, () => (target ? pass(target, sig) : held.push(sig)));
  }
  for (const [sig, handler] of handlers) process.on(sig, handler);
  return {
    attach(tree) {
      target = tree;
      for (const sig of held.splice(0)) pass(tree, sig);
    },
    stop() {
      for (const [sig, handler] of handlers) process.off(sig, handler);
    },
  };
}

/** `-v`: GNU timeout names each signal it sends once the time is up. */
function announceTimeout(tree: Tree, file: string): void {
  const say = (signal: string) =>
    process.stderr.write(`corral: sending signal ${signal.slice(3)} to command '${file}'\n`);
  let timedOut = false;
  tree.on('timeout', (signal: string) => {
    timedOut = true;
    say(signal);
  });
  tree.on('escalate', () => timedOut && say('SIGKILL'));
}

/** GNU timeout's status: 124 on timeout (137 if KILL was needed), else main's, 128+n for a signal. */
export function statusOf(result: TreeResult, preserveStatus: boolean): number {
  const main = result.signal ? signalStatus(signalNumber(result.signal)) : (result.exitCode ?? exitCodes.failed);
  // A limit that was hit explains a failure better than the status it caused (137 after an OOM kill, 1 after EAGAIN).
  if (main !== 0 && result.limit === 'memory') return exitCodes.memoryLimit;
  if (main !== 0 && result.limit === 'processes') return exitCodes.processLimit;
  if (!result.timedOut) return main;
  if (preserveStatus || result.signal === 'SIGKILL') return main;
  return exitCodes.timedOut;
}

/** Signals whose default action ends a process without a core dump: corral dies of the same one. */
const raisable = new Set(['SIGHUP', 'SIGINT', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGKILL']);

function raiseFor(result: TreeResult): NodeJS.Signals | undefined {
  return !result.timedOut && result.limit === null && result.signal && raisable.has(result.signal)
    ? result.signal
    : undefined;
}

/** The signals our caller had ignored, recorded by bin/corral before node reset them. */
function callerIgnored(): number[] {
  const text = process.env.CORRAL_CALLER_SIGIGN ?? '0';
  delete process.env.CORRAL_CALLER_SIGIGN; // not for the command's environment
  if (!/^[0-9a-f]{1,16}$/i.test(text)) return [];
  const mask = BigInt(`0x${text}`);
  const out: number[] = [];
  for (let n = 1; n <= 64; n++) if (mask & (1n << BigInt(n - 1)) && isKnownSignal(n)) out.push(n);
  return out;
}
