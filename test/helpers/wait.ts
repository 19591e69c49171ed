// Tests wait on conditions, never on the clock: the bound only stops a hang.
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** Hang guard in ms; reaching it is a failure, never an expected outcome. */
  bound?: number;
  /** What is awaited, for the failure message: "3 reported processes". */
  what: string;
}

export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/** Polls `condition` (5 ms, backing off to 50 ms) until it returns a truthy value, which it returns. */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  { bound = 10_000, what }: WaitOptions,
): Promise<Truthy<T>> {
  const deadline = Date.now() + bound;
  for (let interval = 5; ; interval = Math.min(interval * 2, 50)) {
    const value = await condition();
    if (value) return value as Truthy<T>;
    if (Date.now() >= deadline) throw new Error(`Timed out waiting for ${what} (hang guard: ${bound} ms)`);
    await sleep(interval);
  }
}
