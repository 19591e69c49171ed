// The configuration of `corral up`: a corral.yaml (or corral.yml) or a Procfile, read into the
// ProjectConfig the supervisor runs. Every problem is a ConfigError naming file, line and field.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ProjectConfig, ServiceConfig } from '../types.js';
import { inheritedEnv, projectNameOf } from './defaults.js';
import { readDotenv } from './dotenv.js';
import { ConfigError, NoConfigError, type Where } from './errors.js';
import { orderServices } from './order.js';
import { parseProcfile } from './procfile.js';
import { loadYaml } from './yaml.js';

export { parseDotenv } from './dotenv.js';
export { ConfigError, NoConfigError, type Where } from './errors.js';
export { parseConfigDuration } from './schema.js';

export interface LoadProjectOptions {
  /** Where to look for corral.yaml, corral.yml, then Procfile (default: the working directory). */
  dir?: string;
  /** The file to read instead, relative to `dir`; *.yaml and *.yml are corral.yaml, anything else a Procfile. */
  file?: string;
  /** The environment services inherit (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Names looked for in a directory, in order: the first one there is read. */
export const configNames = ['corral.yaml', 'corral.yml', 'Procfile'] as const;

export function loadProject(options: LoadProjectOptions = {}): ProjectConfig {
  const file = findConfig(options);
  const dir = dirname(file);
  const env = inheritedEnv(options.env ?? process.env);
  const loaded = /\.ya?ml$/i.test(file) ? loadYaml(read(file), file, env) : loadProcfile(file, dir, env);
  return {
    project: loaded.name ?? projectNameOf(dir),
    dir,
    file,
    services: orderServices(loaded.services, file, loaded.dependsAt),
  };
}

function findConfig(options: LoadProjectOptions): string {
  const dir = resolve(options.dir ?? process.cwd());
  if (options.file !== undefined) {
    const file = resolve(dir, options.file);
    if (!existsSync(file))
      throw new NoConfigError(file, [file], 'no such file', 'check the path (it is relative to the project directory)');
    return file;
  }
  const looked = configNames.map((name) => join(dir, name));
  const found = looked.find((path) => existsSync(path));
  if (found === undefined)
    throw new NoConfigError(dir, looked, `no ${configNames.slice(0, -1).join(', ')} or ${configNames.at(-1)} here`);
  return found;
}

/** A Procfile, with the .env beside it (foreman's rule) between the inherited environment and the services. */
function loadProcfile(
  file: string,
  dir: string,
  env: Record<string, string>,
): { name: undefined; services: ServiceConfig[]; dependsAt: Map<string, Where[]> } {
  const dotenv = join(dir, '.env');
  const vars = existsSync(dotenv) ? readDotenv(dotenv, { file }) : {};
  return { name: undefined, services: parseProcfile(read(file), file, dir, { ...env, ...vars }), dependsAt: new Map() };
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(file, undefined, undefined, `cannot read: ${code}`, { cause: error });
  }
}
