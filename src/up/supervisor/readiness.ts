// Readiness probes: when a started service counts as up for its dependents. A port probe
// connects until the port accepts, a log probe waits for a line containing the pattern, a
// command probe runs the argv (as a corral of its own) every intervalMs until it exits 0.
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnTree } from '../../tree/spawn.js';
import type { Tree } from '../../tree/tree.js';
import type { Readiness, ServiceConfig } from '../types.js';

export interface Probe {
  /** Resolves once the service is ready; stays pending after cancel(). */
  readonly ready: Promise<void>;
  /** What the probe waits for, for messages: "port 127.0.0.1:8080". */
  readonly what: string;
  /** One line of the service's output (only log probes look). */
  line(text: string): void;
  /** Stops probing; resolves once no process of the probe is left. */
  cancel(): Promise<void>;
}

/** A probe command gets this long (at least) before it is killed and counted as "not ready". */
const commandTimeoutMs = 10_000;

export function startProbe(readiness: Readiness, service: ServiceConfig): Probe {
  if (readiness.kind === 'log') return logProbe(readiness.pattern);
  if (readiness.kind === 'port')
    return loopProbe(`port ${readiness.host}:${readiness.port}`, 100, () => connects(readiness.host, readiness.port));
  const { argv, intervalMs } = readiness;
  let tree: Tree | undefined;
  let stopped = false;
  const check = async (): Promise<boolean> => {
    try {
      tree = await spawnTree(argv[0] as string, argv.slice(1), {
        cwd: service.cwd,
        env: service.env,
        stdio: 'ignore',
        timeout: Math.max(intervalMs, commandTimeoutMs),
        killAfter: 1000,
      });
      if (stopped) void tree.kill('SIGKILL'); // cancelled while it started
      const result = await tree.done;
      return result.exitCode === 0 && !result.timedOut;
    } catch {
      return false; // not found, reaper failure: not ready (yet); the service's own log says more
    } finally {
      tree = undefined;
    }
  };
  const probe = loopProbe(`command ${argv.join(' ')}`, intervalMs, check, intervalMs);
  return {
    ...probe,
    cancel: async () => {
      stopped = true;
      const running = tree;
      const loopEnded = probe.cancel();
      if (running) await running.kill('SIGKILL').catch(() => {});
      await loopEnded;
    },
  };
}

function logProbe(pattern: string): Probe {
  let resolve!: () => void;
  let done = false;
  const ready = new Promise<void>((r) => {
    resolve = r;
  });
  return {
    ready,
    what: `a line containing ${JSON.stringify(pattern)}`,
    line: (text) => {
      if (!done && text.includes(pattern)) {
        done = true;
        resolve();
      }
    },
    cancel: async () => {
      done = true;
    },
  };
}

/** Runs `check` until it says yes; waits `firstMs`, then `intervalMs`, between tries (port: 100 ms doubling to 1 s). */
function loopProbe(what: string, firstMs: number, check: () => Promise<boolean>, fixedMs?: number): Probe {
  let cancelled = false;
  let resolve!: () => void;
  const ready = new Promise<void>((r) => {
    resolve = r;
  });
  const loop = (async () => {
    for (let wait = firstMs; !cancelled; wait = fixedMs ?? Math.min(wait * 2, 1000)) {
      if (await check()) {
        if (!cancelled) resolve();
        return;
      }
      if (!cancelled) await sleep(wait);
    }
  })();
  return {
    ready,
    what,
    line: () => {},
    cancel: async () => {
      cancelled = true;
      await loop;
    },
  };
}

/** Does a TCP connect to host:port succeed (within 1 s)? */
export function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
