// Every default of a service, in one place: a Procfile line gets all of them.
import { basename } from 'node:path';
import type { ServiceConfig } from '../types.js';

export const defaults = {
  restart: 'no',
  backoff: { initialMs: 500, maxDelayMs: 30_000, maxRestarts: 5, windowMs: 60_000 },
  stopSignal: 'SIGTERM',
  stopGraceMs: 5000,
  level: 'auto',
  scale: 1,
  readyHost: '127.0.0.1',
  readyIntervalMs: 1000,
  readyTimeoutMs: 60_000,
} as const;

/** A service with every default: what a Procfile line means. */
export function defaultService(
  name: string,
  argv: string[],
  cwd: string,
  env: Record<string, string>,
  source: ServiceConfig['source'],
): ServiceConfig {
  return {
    name,
    argv,
    cwd,
    env,
    restart: defaults.restart,
    backoff: { ...defaults.backoff },
    stopSignal: defaults.stopSignal,
    stopGraceMs: defaults.stopGraceMs,
    level: defaults.level,
    limits: {},
    dependsOn: [],
    ready: null,
    scale: defaults.scale,
    source,
  };
}

/** The environment a service inherits: the given one, without unset entries. */
export function inheritedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** A directory's basename as a project name: letters, digits, _ . - and not starting with . or -. */
export function projectNameOf(dir: string): string {
  const name = basename(dir)
    .replace(/[^A-Za-z0-9_.-]/g, '_')
    .replace(/^[.-]+/, '');
  return name === '' ? 'project' : name;
}
