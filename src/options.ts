// normalizeOptions(): every default in one place; every check before any process exists.
import { InvalidOptionError } from './errors.js';
import { parseSignal } from './tree/signal.js';
import { validateDuration, validateTimeout } from './tree/timeout.js';

export type StdioValue = 'pipe' | 'inherit' | 'ignore' | number;
export type Level = 'auto' | 'track' | 'cgroup' | 'sandbox';
export type ResolvedLevel = 'track' | 'cgroup' | 'sandbox';
const levels: readonly Level[] = ['auto', 'track', 'cgroup', 'sandbox'];

export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  stdio?: StdioValue | readonly [StdioValue, StdioValue, StdioValue];
  timeout?: number | string;
  killSignal?: NodeJS.Signals | string | number;
  killAfter?: number | string;
  leftovers?: 'kill' | 'wait';
  level?: Level;
  name?: string;
  foreground?: boolean;
  ignoredSignals?: readonly (NodeJS.Signals | string | number)[];
  /** At most this many processes (threads count) in the tree: forks beyond it fail. cgroup (pids) or sandbox. */
  maxProcesses?: number;
  /** Memory limit in bytes, or a size string ('512M', '1.5G'): the kernel OOM-kills beyond it. cgroup (memory). */
  maxMemory?: number | string;
  /** CPU time as a number of CPUs (0.5: half of one; 2: two), per 100 ms period: throttled beyond it. cgroup (cpu). */
  maxCpu?: number | string;
  /** false: a private network namespace with only loopback, and no AF_UNIX sockets (sandbox). */
  network?: boolean;
  /** Landlock: no writes anywhere except `writable` (and /dev/null, /dev/tty…) (sandbox). */
  readOnly?: boolean;
  /** Paths that stay writable under `readOnly` (existing files or directories). */
  writable?: readonly string[];
  /** PR_SET_NO_NEW_PRIVS: setuid binaries and file capabilities grant nothing (any level). */
  noNewPrivileges?: boolean;
}

export interface RunOptions extends SpawnOptions {
  input?: string | Uint8Array;
  maxBuffer?: number;
  reject?: boolean;
  encoding?: BufferEncoding;
}

export interface NormalizedOptions {
  file: string;
  args: string[];
  cwd: string | undefined;
  env: Record<string, string | undefined>;
  stdio: [StdioValue, StdioValue, StdioValue];
  timeoutMs: number;
  killSignal: number;
  killAfterMs: number;
  leftovers: 'kill' | 'wait';
  /** As asked; spawn() resolves it (resolveLevel) before anything starts. */
  requestedLevel: Level;
  level: ResolvedLevel;
  limits: { maxProcesses: number | undefined; maxMemory: number | undefined; maxCpu: number | undefined };
  sandbox: { network: boolean; readOnly: boolean; writable: string[] };
  noNewPrivileges: boolean;
  id: string;
  name: string | undefined;
  foreground: boolean;
  ignoredSignals: number[];
}

export const defaults = {
  killSignal: 'SIGTERM',
  killAfterMs: 5000,
  maxBuffer: 100_000_000,
} as const;

const known = new Set([
  'cwd',
  'env',
  'stdio',
  'timeout',
  'killSignal',
  'killAfter',
  'leftovers',
  'level',
  'name',
  'foreground',
  'ignoredSignals',
  'maxProcesses',
  'maxMemory',
  'maxCpu',
  'network',
  'readOnly',
  'writable',
  'noNewPrivileges',
  'input',
  'maxBuffer',
  'reject',
  'encoding',
]);

export function normalizeOptions(file: unknown, args: unknown, options: SpawnOptions = {}): NormalizedOptions {
  if (typeof file !== 'string' || file.length === 0) {
    throw new InvalidOptionError(
      'file',
      `Expected \`file\` to be a non-empty string, got \`${String(file)}\`. Use e.g. spawn('ls', ['-l']).`,
    );
  }
  if (file.includes('\0')) throw new InvalidOptionError('file', 'Expected `file` without NUL bytes.');
  const argv = validateArgs(args);
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', `Expected \`options\` to be an object, got \`${String(options)}\`.`);
  }
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw new InvalidOptionError(key, `Unknown option \`${key}\`. Known options: ${[...known].join(', ')}.`);
    }
  }
  return {
    file,
    args: argv,
    cwd: validateCwd(options.cwd),
    env: validateEnv(options.env),
    stdio: validateStdio(options.stdio),
    timeoutMs: validateTimeout(options.timeout),
    killSignal: parseSignal(options.killSignal ?? defaults.killSignal, 'killSignal'),
    killAfterMs: validateKillAfter(options.killAfter),
    leftovers: validateLeftovers(options.leftovers),
    requestedLevel: validateLevel(options.level),
    level: 'track', // resolved by spawn()
    limits: {
      maxProcesses: validateMaxProcesses(options.maxProcesses),
      maxMemory: validateSize(options.maxMemory),
      maxCpu: validateCpu(options.maxCpu),
    },
    sandbox: {
      network: options.network === undefined ? true : validateBoolean('network', options.network),
      readOnly: validateBoolean('readOnly', options.readOnly),
      writable: validateWritable(options.writable, options.readOnly),
    },
    noNewPrivileges: validateBoolean('noNewPrivileges', options.noNewPrivileges),
    id: newId(),
    name: validateName(options.name),
    foreground: validateBoolean('foreground', options.foreground),
    ignoredSignals: (options.ignoredSignals ?? []).map((s) => parseSignal(s, 'ignoredSignals')),
  };
}

function validateArgs(args: unknown): string[] {
  if (args === undefined) return [];
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string' || a.includes('\0'))) {
    throw new InvalidOptionError(
      'args',
      `Expected \`args\` to be an array of strings, got \`${JSON.stringify(args)}\`. Use e.g. ['-c', 'echo hi'].`,
    );
  }
  return [...args];
}

function validateCwd(cwd: unknown): string | undefined {
  if (cwd === undefined || (typeof cwd === 'string' && cwd.length > 0)) return cwd;
  throw new InvalidOptionError(
    'cwd',
    `Expected \`cwd\` to be a directory path, got \`${String(cwd)}\`. Use e.g. '/tmp'.`,
  );
}

function validateEnv(env: unknown): Record<string, string | undefined> {
  if (env === undefined) return process.env;
  if (typeof env === 'object' && env !== null) return env as Record<string, string | undefined>;
  throw new InvalidOptionError(
    'env',
    `Expected \`env\` to be an object of strings, got \`${String(env)}\`. Use e.g. { ...process.env, DEBUG: '1' }.`,
  );
}

const stdioValues = new Set(['pipe', 'inherit', 'ignore']);

function validateStdio(stdio: unknown): [StdioValue, StdioValue, StdioValue] {
  const one = (v: unknown): StdioValue => {
    if ((typeof v === 'string' && stdioValues.has(v)) || (Number.isInteger(v) && (v as number) >= 0))
      return v as StdioValue;
    throw new InvalidOptionError(
      'stdio',
      `Expected \`stdio\` to be 'pipe', 'inherit', 'ignore', an fd, or an array of three of those, got \`${JSON.stringify(stdio)}\`. Use e.g. ['ignore', 'pipe', 'inherit'].`,
    );
  };
  if (stdio === undefined) return ['pipe', 'pipe', 'pipe'];
  if (Array.isArray(stdio)) {
    if (stdio.length !== 3) one(undefined);
    return [one(stdio[0]), one(stdio[1]), one(stdio[2])];
  }
  const v = one(stdio);
  return [v, v, v];
}

function validateKillAfter(value: unknown): number {
  if (value === Number.POSITIVE_INFINITY) return value;
  return validateDuration('killAfter', value, defaults.killAfterMs);
}

function validateLeftovers(value: unknown): 'kill' | 'wait' {
  if (value === undefined || value === 'kill' || value === 'wait') return value ?? 'kill';
  throw new InvalidOptionError('leftovers', `Expected \`leftovers\` to be 'kill' or 'wait', got \`${String(value)}\`.`);
}

function validateLevel(value: unknown): Level {
  if (value === undefined) return 'auto';
  if (levels.includes(value as Level)) return value as Level;
  throw new InvalidOptionError(
    'level',
    `Expected \`level\` to be one of ${levels.map((l) => `'${l}'`).join(', ')}, got \`${String(value)}\`.`,
  );
}

function validateMaxProcesses(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (Number.isSafeInteger(value) && (value as number) >= 1) return value as number;
  throw new InvalidOptionError(
    'maxProcesses',
    `Expected \`maxProcesses\` to be a whole number of at least 1, got \`${String(value)}\`. Use e.g. 100.`,
  );
}

const sizeUnits: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** Bytes from a number or '512M', '1.5G', '64k' (binary units; a trailing 'B' or 'iB' is allowed). */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(value);
  if (!match) return undefined;
  const bytes = Math.floor(Number(match[1]) * (sizeUnits[(match[2] ?? '').toLowerCase()] ?? 1));
  return bytes > 0 && Number.isSafeInteger(bytes) ? bytes : undefined;
}

function validateSize(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const bytes = parseSize(value);
  if (bytes !== undefined) return bytes;
  throw new InvalidOptionError(
    'maxMemory',
    `Expected \`maxMemory\` to be a positive number of bytes or a size like '512M' or '2G', got \`${String(value)}\`.`,
  );
}

/** CPUs from a number or a numeric string ('0.5', '2'); at least 0.01 (cpu.max's 1 ms in a 100 ms period). */
export function parseCpus(value: unknown): number | undefined {
  const cpus = typeof value === 'string' && /^\s*\d+(?:\.\d+)?\s*$/.test(value) ? Number(value) : value;
  return typeof cpus === 'number' && Number.isFinite(cpus) && cpus >= 0.01 && cpus <= 10_000 ? cpus : undefined;
}

function validateCpu(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const cpus = parseCpus(value);
  if (cpus !== undefined) return cpus;
  throw new InvalidOptionError(
    'maxCpu',
    `Expected \`maxCpu\` to be a number of CPUs from 0.01 to 10000 (0.5 is half of one CPU), got \`${String(value)}\`.`,
  );
}

function validateWritable(value: unknown, readOnly: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((p) => typeof p !== 'string' || !p.startsWith('/') || p.includes('\0'))) {
    throw new InvalidOptionError(
      'writable',
      `Expected \`writable\` to be an array of absolute paths, got \`${JSON.stringify(value)}\`. Use e.g. ['/tmp/work'].`,
    );
  }
  if (value.length > 0 && readOnly !== true) {
    throw new InvalidOptionError('writable', '`writable` only makes sense with `readOnly: true`; add it.');
  }
  if (value.length > 64)
    throw new InvalidOptionError('writable', `At most 64 \`writable\` paths, got ${value.length}.`);
  return [...value];
}

function validateName(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  // Not starting with '-': the name sits in the reaper's argv, where `--` ends the options.
  if (typeof value === 'string' && /^[\w@][\w.@/:+-]{0,63}$/.test(value)) return value;
  throw new InvalidOptionError(
    'name',
    `Expected \`name\` to be 1-64 characters of letters, digits and . _ - @ / : + (starting with a letter, digit, _ or @), got \`${String(value)}\`. Use e.g. 'web'.`,
  );
}

function validateBoolean(option: string, value: unknown): boolean {
  if (value === undefined || typeof value === 'boolean') return value ?? false;
  throw new InvalidOptionError(option, `Expected \`${option}\` to be true or false, got \`${String(value)}\`.`);
}

/** 32 random bits as 8 hex digits: V8 seeds Math.random from the OS; node:crypto would cost the CLI ~4 ms to load. */
function newId(): string {
  return Math.floor(Math.random() * 2 ** 32)
    .toString(16)
    .padStart(8, '0');
}
