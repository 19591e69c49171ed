// The shape of corral.yaml, as a zod schema, and what every field expects. `fields` is the one
// table of expectations: error messages, examples in hints and "did you mean" all come from it.
import * as z from 'zod/mini';
import { parseCpus, parseSize } from '../../options.js';
import { parseSignal, signalName } from '../../tree/signal.js';
import { parseDuration } from '../../tree/timeout.js';

interface Field {
  expected: string;
  example: string;
}

const argvExpected = 'a string (run by `sh -c`) or a non-empty list of strings (the argv)';

/** By generic path: `*` stands for a service name, an env variable or a list index. */
export const fields = {
  '': { expected: 'a map with a `services:` map', example: '`services: { web: { command: node server.js } }`' },
  name: { expected: 'a project name of letters, digits, `_`, `.` and `-`', example: '`name: shop`' },
  services: {
    expected: 'a map of service names to their settings',
    example: '`services: { web: { command: npm start } }`',
  },
  'services.*': { expected: "a map of the service's settings", example: '`web: { command: npm start }`' },
  'services.*.command': { expected: argvExpected, example: '`command: npm start` or `command: [node, server.js]`' },
  'services.*.cwd': { expected: "a directory (relative to the config file's)", example: '`cwd: ./api`' },
  'services.*.env': { expected: 'a map of variable names to values', example: '`env: { PORT: 8080 }`' },
  'services.*.env.*': { expected: 'a string, a number or true/false', example: '`PORT: "8080"`' },
  'services.*.env_file': {
    expected: 'a path or a list of paths of .env files',
    example: '`env_file: [.env, .env.local]`',
  },
  'services.*.restart': { expected: '`no`, `on-failure` or `always`', example: '`restart: on-failure`' },
  'services.*.backoff': {
    expected: 'a map of `initial`, `max`, `max_restarts` and `window`',
    example: '`backoff: { initial: 500ms, max: 30s, max_restarts: 5, window: 60s }`',
  },
  'services.*.backoff.initial': { expected: 'a positive duration like 500ms, 1s or 2m', example: '`initial: 500ms`' },
  'services.*.backoff.max': { expected: 'a positive duration like 500ms, 1s or 2m', example: '`max: 30s`' },
  'services.*.backoff.max_restarts': { expected: 'a whole number of at least 0', example: '`max_restarts: 5`' },
  'services.*.backoff.window': { expected: 'a positive duration like 60s or 5m', example: '`window: 60s`' },
  'services.*.stop_signal': { expected: 'a signal name or number', example: '`stop_signal: SIGINT` (or INT, or 2)' },
  'services.*.stop_grace': {
    expected: 'a duration like 500ms, 5s or 1m (0: SIGKILL at once)',
    example: '`stop_grace: 10s`',
  },
  'services.*.level': { expected: '`auto`, `track`, `cgroup` or `sandbox`', example: '`level: cgroup`' },
  'services.*.max_procs': { expected: 'a whole number of at least 1', example: '`max_procs: 100`' },
  'services.*.max_memory': { expected: 'a size like 512M or 1G, or a number of bytes', example: '`max_memory: 512M`' },
  'services.*.max_cpu': { expected: 'a number of CPUs from 0.01 to 10000', example: '`max_cpu: 0.5`' },
  'services.*.network': { expected: '`true` or `false`', example: '`network: false`' },
  'services.*.depends_on': { expected: 'a list of service names', example: '`depends_on: [db, cache]`' },
  'services.*.depends_on.*': { expected: 'a service name', example: '`depends_on: [db]`' },
  'services.*.ready': {
    expected: 'a map with exactly one of `port`, `log` or `command`',
    example: '`ready: { port: 8080 }`, `ready: { log: listening }` or `ready: { command: pg_isready }`',
  },
  'services.*.ready.port': { expected: 'a port number from 1 to 65535', example: '`port: 8080`' },
  'services.*.ready.host': { expected: 'a host name or address', example: '`host: 127.0.0.1`' },
  'services.*.ready.log': { expected: 'a non-empty string to look for in the output', example: '`log: listening on`' },
  'services.*.ready.command': { expected: argvExpected, example: '`command: [pg_isready, -q]`' },
  'services.*.ready.interval': { expected: 'a positive duration like 500ms or 2s', example: '`interval: 1s`' },
  'services.*.ready.timeout': { expected: 'a positive duration like 30s or 5m, at most 24d', example: '`timeout: 2m`' },
  'services.*.scale': { expected: 'a whole number of at least 1', example: '`scale: 2`' },
} satisfies Record<string, Field>;

export type FieldPath = keyof typeof fields;

/** Service names: foreman's, so a Procfile and a corral.yaml accept the same ones. */
export const serviceName = /^[A-Za-z0-9_-]+$/;
export const projectName = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

const maxTimerMs = 2 ** 31 - 1;

/** `500ms`, `1.5s`, `2m`, `1h`, `1d`, or 0. A bare number is refused: `stop_grace: 5` could mean 5 s or 5 ms. At most 24 days. */
export function parseConfigDuration(value: unknown): number | undefined {
  if (value === 0 || value === '0') return 0;
  if (typeof value !== 'string') return undefined;
  const ms = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*ms\s*$/i.exec(value);
  if (ms) return Math.round(Number(ms[1]));
  if (!/^\s*(\d+(?:\.\d+)?|\.\d+)\s*[smhd]\s*$/i.test(value)) return undefined;
  const out = parseDuration(value.replace(/\s+/g, ''));
  // Node's timers take at most 2^31-1 ms (24.8 days); a longer one would fire at once.
  return out === undefined || !Number.isFinite(out) || out > maxTimerMs ? undefined : Math.round(out);
}

type Parser<T> = z.ZodMiniType<T> | ((value: unknown) => T | undefined);

function run<T>(parser: Parser<T>, value: unknown): { ok: true; value: T } | { ok: false } {
  if (typeof parser === 'function') {
    const out = parser(value);
    return out === undefined ? { ok: false } : { ok: true, value: out };
  }
  const result = parser.safeParse(value);
  return result.success ? { ok: true, value: result.data } : { ok: false };
}

/**
 * One field: absent is fine (undefined); anything the parser refuses is one issue at this path,
 * whose message the caller takes from `fields`, so the parser's own wording never shows.
 */
function leaf<T>(parser: Parser<T>) {
  return z.transform((value: unknown, ctx): T | undefined => {
    if (value === undefined) return undefined;
    const out = run(parser, value);
    if (out.ok) return out.value;
    ctx.issues.push({ code: 'custom', input: value });
    return undefined;
  });
}

/** A field that must be there. */
function required<T>(parser: Parser<T>) {
  return z.transform((value: unknown, ctx): T => {
    const out = run(parser, value);
    if (!out.ok) ctx.issues.push({ code: 'custom', input: value });
    return (out.ok ? out.value : undefined) as T;
  });
}

/** An issue whose message is complete: `{field}` becomes the field's path. */
function problem(ctx: z.core.ParsePayload, message: string, path: (string | number)[] = [], hint?: string): void {
  ctx.issues.push({ code: 'custom', input: ctx.value, path, params: { message, hint } });
}

const text = z.string().check(z.refine((s) => s.trim() !== ''));
const scalar = z.union([z.string(), z.number(), z.boolean()]);
/** argv items may be numbers or booleans in YAML (`[sleep, 10]`); the loader takes their text as written. */
const command = z.union([
  text,
  z.array(scalar).check(
    z.minLength(1),
    z.refine((a) => a[0] !== ''),
  ),
]);
const duration = (value: unknown) => parseConfigDuration(value);
const positiveDuration = (value: unknown) => {
  const ms = parseConfigDuration(value);
  return ms === undefined || ms <= 0 ? undefined : ms;
};
const atLeast = (n: number) => z.int().check(z.gte(n));
const signal = (value: unknown) => {
  try {
    return signalName(parseSignal(value, 'stop_signal'));
  } catch {
    return undefined;
  }
};

const backoff = z.pipe(
  z.strictObject({
    initial: leaf(positiveDuration),
    max: leaf(positiveDuration),
    max_restarts: leaf(atLeast(0)),
    window: leaf(positiveDuration),
  }),
  z.transform((b, ctx) => {
    if (ctx.issues.length > 0) return b; // an unknown key says more than what follows from it
    if (b.initial !== undefined && b.max !== undefined && b.initial > b.max)
      problem(ctx, '{field} is shorter than `initial`; the delay grows from `initial` up to `max`', ['max']);
    return b;
  }),
);

const ready = z.pipe(
  z.strictObject({
    port: leaf(z.int().check(z.gte(1), z.lte(65535))),
    host: leaf(text),
    log: leaf(text),
    command: leaf(command),
    interval: leaf(positiveDuration),
    timeout: leaf(positiveDuration),
  }),
  z.transform((r, ctx) => {
    if (ctx.issues.length > 0) return r; // `prot: 80` is a typo, not a missing `port`
    const kinds = (['port', 'log', 'command'] as const).filter((k) => r[k] !== undefined);
    if (kinds.length === 0) problem(ctx, '{field} says nothing to wait for: give one of `port`, `log` or `command`');
    else if (kinds.length > 1)
      problem(
        ctx,
        `{field} has both \`${kinds[0]}\` and \`${kinds[1]}\`: give exactly one of \`port\`, \`log\` or \`command\``,
      );
    else if (r.host !== undefined && r.port === undefined) problem(ctx, '{field} only goes with `port`', ['host']);
    else if (r.interval !== undefined && r.command === undefined)
      problem(ctx, '{field} only goes with `command`', ['interval']);
    return r;
  }),
);

const env = z.pipe(
  z.record(z.string(), leaf(scalar)),
  z.transform((vars, ctx) => {
    for (const key of Object.keys(vars))
      if (key === '' || key.includes('=') || key.includes('\0'))
        problem(ctx, '{field} is not a variable name: it must be non-empty, without `=`', [key]);
    return vars;
  }),
);

export const service = z.strictObject({
  command: required(command),
  cwd: leaf(text),
  env: z.optional(env),
  env_file: leaf(z.union([text, z.array(text)])),
  restart: leaf(z.union([z.enum(['no', 'on-failure', 'always']), z.literal(false)])),
  backoff: z.optional(backoff),
  stop_signal: leaf(signal),
  stop_grace: leaf(duration),
  level: leaf(z.enum(['auto', 'track', 'cgroup', 'sandbox'])),
  max_procs: leaf(atLeast(1)),
  max_memory: leaf((value: unknown) => parseSize(value)),
  max_cpu: leaf((value: unknown) => parseCpus(value)),
  network: leaf(z.boolean()),
  depends_on: z.optional(z.array(leaf(text))),
  ready: z.optional(ready),
  scale: leaf(atLeast(1)),
});

export const project = z.strictObject({
  name: leaf(z.string().check(z.regex(projectName))),
  services: z.record(z.string(), service),
});

export type RawService = z.output<typeof service>;
export type RawProject = z.output<typeof project>;
