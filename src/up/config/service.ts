// A checked service of corral.yaml turned into the ServiceConfig the supervisor runs.
import { resolve } from 'node:path';
import { type Document, isScalar } from 'yaml';
import type { Readiness, ServiceConfig } from '../types.js';
import { defaults } from './defaults.js';
import { readDotenv } from './dotenv.js';
import type { Where } from './errors.js';
import { child } from './positions.js';
import { dotted, type Path } from './problems.js';
import type { RawService } from './schema.js';

export interface Builder {
  doc: Document;
  file: string;
  dir: string;
  env: Record<string, string>;
  find: (path: Path, onKey?: boolean) => Where;
}

export function buildService(b: Builder, name: string, raw: RawService): ServiceConfig {
  const at = (...rest: Path): Path => ['services', name, ...rest];
  const backoff = {
    initialMs: raw.backoff?.initial ?? defaults.backoff.initialMs,
    maxDelayMs: raw.backoff?.max ?? Math.max(defaults.backoff.maxDelayMs, raw.backoff?.initial ?? 0),
    maxRestarts: raw.backoff?.max_restarts ?? defaults.backoff.maxRestarts,
    windowMs: raw.backoff?.window ?? defaults.backoff.windowMs,
  };
  const limits: ServiceConfig['limits'] = {};
  if (raw.max_procs !== undefined) limits.maxProcesses = raw.max_procs;
  if (raw.max_memory !== undefined) limits.maxMemory = raw.max_memory;
  if (raw.max_cpu !== undefined) limits.maxCpu = raw.max_cpu;
  if (raw.network !== undefined) limits.network = raw.network;
  return {
    name,
    argv: argvOf(b, at('command'), raw.command),
    cwd: resolve(b.dir, raw.cwd ?? '.'),
    env: envOf(b, name, raw),
    restart: raw.restart === false || raw.restart === undefined ? defaults.restart : raw.restart,
    backoff,
    stopSignal: raw.stop_signal ?? defaults.stopSignal,
    stopGraceMs: raw.stop_grace ?? defaults.stopGraceMs,
    level: raw.level ?? defaults.level,
    limits,
    dependsOn: (raw.depends_on ?? []).filter((d): d is string => d !== undefined),
    ready: readyOf(b, at('ready'), raw.ready),
    scale: raw.scale ?? defaults.scale,
    source: { file: b.file, line: b.find(at(), true).line },
  };
}

/** process env < env_file(s), in order < env. */
function envOf(b: Builder, name: string, raw: RawService): Record<string, string> {
  const env = { ...b.env };
  const files = raw.env_file === undefined ? [] : typeof raw.env_file === 'string' ? [raw.env_file] : raw.env_file;
  files.forEach((path, i) => {
    const where = ['services', name, 'env_file', ...(typeof raw.env_file === 'string' ? [] : [i])];
    Object.assign(env, readDotenv(resolve(b.dir, path), { file: b.file, where: b.find(where), field: dotted(where) }));
  });
  for (const [key, value] of Object.entries(raw.env ?? {}))
    env[key] = textOf(b, ['services', name, 'env', key], value as string | number | boolean);
  return env;
}

function argvOf(b: Builder, path: Path, command: string | (string | number | boolean)[]): string[] {
  return typeof command === 'string' ? ['sh', '-c', command] : command.map((arg, i) => textOf(b, [...path, i], arg));
}

/** A number or boolean as written (`1.10` stays "1.10", `0x1F` stays "0x1F"), not as YAML read it. */
function textOf(b: Builder, path: Path, value: string | number | boolean): string {
  if (typeof value === 'string') return value;
  let node: unknown = b.doc.contents;
  for (const seg of path) node = child(b.doc, node, seg)?.value;
  return isScalar(node) && node.type === 'PLAIN' && typeof node.source === 'string' ? node.source : String(value);
}

function readyOf(b: Builder, path: Path, ready: RawService['ready']): Readiness | null {
  if (ready === undefined) return null;
  const timeoutMs = ready.timeout ?? defaults.readyTimeoutMs;
  if (ready.port !== undefined)
    return { kind: 'port', port: ready.port, host: ready.host ?? defaults.readyHost, timeoutMs };
  if (ready.log !== undefined) return { kind: 'log', pattern: ready.log, timeoutMs };
  return {
    kind: 'command',
    argv: argvOf(b, [...path, 'command'], ready.command as string | (string | number | boolean)[]),
    intervalMs: ready.interval ?? defaults.readyIntervalMs,
    timeoutMs,
  };
}
