// The shape of a project after loading: what the config layer (src/up/config/) hands the
// supervisor (src/up/supervisor/). Both sides agree on this file; change it in one step.

export type RestartPolicy = 'no' | 'on-failure' | 'always';

export type Readiness = (
  | { kind: 'port'; port: number; host: string } // host defaults to 127.0.0.1
  | { kind: 'log'; pattern: string } // a substring of one stdout/stderr line
  | { kind: 'command'; argv: string[]; intervalMs: number }
) & {
  /** Not ready this long after its start: the service is stopped and its start counts as a failure. */
  timeoutMs: number;
};

export interface ServiceConfig {
  /** The service's name as written in the file (letters, digits, _ . -). */
  name: string;
  /** argv; a string `command` in the file becomes ['sh', '-c', string]. */
  argv: string[];
  cwd: string; // absolute
  /** The full environment the service starts with (process.env < .env/env_file < env). */
  env: Record<string, string>;
  restart: RestartPolicy;
  /** Backoff: first delay, doubling up to maxDelayMs; more than maxRestarts within windowMs = give up. */
  backoff: { initialMs: number; maxDelayMs: number; maxRestarts: number; windowMs: number };
  stopSignal: string; // e.g. 'SIGTERM'
  stopGraceMs: number;
  /** Containment: passed to corral's spawn() as is. */
  level: 'auto' | 'track' | 'cgroup' | 'sandbox';
  limits: { maxProcesses?: number; maxMemory?: number; maxCpu?: number; network?: boolean };
  dependsOn: string[];
  ready: Readiness | null;
  scale: number; // >= 1
  /** Where it was defined, for messages: file path and 1-based line. */
  source: { file: string; line: number };
}

export interface ProjectConfig {
  /** Project name: `name:` in corral.yaml, else the directory's basename (sanitised). */
  project: string;
  /** The directory of the config file (absolute). */
  dir: string;
  /** The config file that was read (Procfile or corral.yaml). */
  file: string;
  /** Services in dependency order (dependencies first); ties keep file order. */
  services: ServiceConfig[];
}
