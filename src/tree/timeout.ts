// Durations in GNU timeout's syntax, and the timeout/killAfter options built on them.
import { InvalidOptionError } from '../errors.js';

const units: Record<string, number> = { '': 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** GNU timeout's DURATION: a non-negative number (fractions allowed) with an optional s/m/h/d suffix. Returns ms. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\+?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|inf(?:inity)?)([smhd]?)\s*$/i.exec(text);
  if (!match) return undefined;
  const [, number = '', unit = ''] = match;
  const value = /^inf/i.test(number) ? Number.POSITIVE_INFINITY : Number(number);
  const ms = value * (units[unit.toLowerCase()] ?? 1000);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A duration option: ms as a number, or a GNU duration string (bare number = seconds). 0 = none. */
export function validateDuration(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? parseDuration(value) : undefined;
  if (ms === undefined || Number.isNaN(ms) || ms < 0) {
    throw new InvalidOptionError(
      option,
      `Expected \`${option}\` to be a non-negative duration, got \`${describe(value)}\`. Use e.g. 30s, 1.5m, 2h, 5000 (ms) or 0 for none.`,
    );
  }
  return ms;
}

export function validateTimeout(value: unknown): number {
  return validateDuration('timeout', value, 0);
}

function describe(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}

const maxTimer = 2 ** 31 - 1;

/** A cancellable, unref'd timer for any finite ms (Node caps one timer at 2^31-1 ms); 0 and Infinity never fire. */
export function armTimer(ms: number, fn: () => void): { cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const deadline = Date.now() + ms; // only consulted past one timer's reach
  const arm = (left: number): void => {
    timer = setTimeout(
      () => (left > maxTimer ? arm(deadline - Date.now()) : fn()),
      Math.min(Math.max(left, 0), maxTimer),
    );
    timer.unref();
  };
  if (ms > 0 && Number.isFinite(ms)) arm(ms);
  return { cancel: () => clearTimeout(timer) };
}
