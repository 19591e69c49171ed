// The restart policy as a pure function of the exit and the recent exits: what a service does
// next after its tree became empty on its own (not stopped on request).
import type { RestartPolicy, ServiceConfig } from '../types.js';

export interface Exit {
  exitCode: number | null;
  signal: string | null;
  /** Stopped for not being ready in time: "not ready within 30s (port 127.0.0.1:8080)". A failure, whatever the status. */
  notReady?: string;
}

export type Decision =
  | { action: 'restart'; delayMs: number }
  /** Not restarted, and that is fine: exited 0 under `no` or `on-failure`. */
  | { action: 'exited' }
  /** Not restarted, and that is a failure: `reason` says why. */
  | { action: 'failed'; reason: string };

/**
 * `recent` holds the times (ms) of earlier exits that led to a restart, oldest first; the
 * caller keeps the returned list. More than maxRestarts exits inside windowMs = give up. The
 * delay doubles with each recent exit, from initialMs up to maxDelayMs, so a service that ran
 * longer than the window starts again from initialMs.
 */
export function decideRestart(
  policy: RestartPolicy,
  backoff: ServiceConfig['backoff'],
  exit: Exit,
  recent: readonly number[],
  now: number,
): { decision: Decision; recent: number[] } {
  const failed = exit.exitCode !== 0 || exit.notReady !== undefined;
  if (policy === 'no' || (policy === 'on-failure' && !failed)) {
    return {
      decision: failed
        ? { action: 'failed', reason: `${describeExit(exit)}; restart: ${policy}` }
        : { action: 'exited' },
      recent: [...recent],
    };
  }
  const window = recent.filter((t) => now - t < backoff.windowMs);
  window.push(now);
  if (window.length > backoff.maxRestarts) {
    const reason = `${describeExit(exit)} ${times(window.length)} in ${formatMs(backoff.windowMs)}; not restarting`;
    return { decision: { action: 'failed', reason }, recent: window };
  }
  const delayMs = Math.min(backoff.initialMs * 2 ** (window.length - 1), backoff.maxDelayMs);
  return { decision: { action: 'restart', delayMs }, recent: window };
}

/** "exited 1", "killed by SIGSEGV". */
export function describeExit(exit: Exit): string {
  if (exit.notReady !== undefined) return exit.notReady;
  if (exit.signal !== null) return `killed by ${exit.signal}`;
  return exit.exitCode === null ? 'ended' : `exited ${exit.exitCode}`;
}

const words = ['zero', 'once', 'twice', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

/** "once", "twice", "six times", "12 times". */
export function times(n: number): string {
  if (n === 1 || n === 2) return words[n] as string;
  return `${n <= 10 ? words[n] : n} times`;
}

/** 250ms, 1.5s, 60s, 2m, 1h. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 120_000 || ms % 60_000 !== 0) return `${Number((ms / 1000).toFixed(1))}s`;
  if (ms < 7_200_000 || ms % 3_600_000 !== 0) return `${ms / 60_000}m`;
  return `${ms / 3_600_000}h`;
}
