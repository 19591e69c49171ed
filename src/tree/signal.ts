// Signal names and numbers, validated once.
import { constants } from 'node:os';
import { InvalidOptionError } from '../errors.js';

export type SignalName = NodeJS.Signals;

const numbers = constants.signals as Record<string, number>;
const names = new Map<number, SignalName>(Object.entries(numbers).map(([name, n]) => [n, name as SignalName]));

/** Accepts `SIGTERM`, `TERM`, `term`, `15`, or 15 (GNU timeout's spellings). */
export function parseSignal(value: unknown, option = 'signal'): number {
  if (typeof value === 'number' && (names.has(value) || (Number.isInteger(value) && value >= 32 && value <= 64)))
    return value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (/^\d+$/.test(text) && names.has(Number(text))) return Number(text);
    const upper = text.toUpperCase();
    const n = numbers[upper.startsWith('SIG') ? upper : `SIG${upper}`];
    if (n !== undefined) return n;
    // Real-time signals have no name in Node: signalName() spells them SIG34…SIG64.
    const rt = /^(?:SIG)?(\d+)$/.exec(upper);
    if (rt && Number(rt[1]) >= 32 && Number(rt[1]) <= 64) return Number(rt[1]);
  }
  throw new InvalidOptionError(
    option,
    `Expected \`${option}\` to be a signal name or number, got \`${String(value)}\`. Use e.g. SIGTERM, TERM, INT or 9.`,
  );
}

export function signalName(n: number): SignalName {
  return names.get(n) ?? (`SIG${n}` as SignalName);
}

export function signalNumber(name: string): number {
  return parseSignal(name);
}

export function isKnownSignal(n: number): boolean {
  return names.has(n);
}
