// Where a project's supervisor lives: `<base>/<project>-<hash of dir>.sock` for control and
// `<base>/<project>-<hash>/` for its logs, in a base directory that only its owner may enter.
// Node cannot read SO_PEERCRED, so the socket's safety is the directory's: 0700 and ours,
// checked (not assumed) before every use.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { UnsafeRuntimeDirError } from './errors.js';

export interface ProjectPaths {
  /** The private base directory (mode 0700, ours). */
  base: string;
  socket: string;
  /** Per-project state: logs/, supervisor.log. */
  state: string;
  logs: string;
  supervisorLog: string;
}

/** A socket path must fit sun_path (108 bytes with the NUL): the project part is cut to fit. */
const maxSocketPath = 107;

export function projectPaths(project: string, dir: string, env: NodeJS.ProcessEnv = process.env): ProjectPaths {
  const base = baseDir(env);
  const hash = createHash('sha256').update(dir).digest('hex').slice(0, 12);
  const room = Math.max(8, maxSocketPath - base.length - 1 - hash.length - 1 - '.sock'.length);
  const key = `${project.slice(0, Math.min(room, 48)).replace(/[^\w.@+-]/g, '_')}-${hash}`;
  const state = join(base, key);
  return {
    base,
    socket: join(base, `${key}.sock`),
    state,
    logs: join(state, 'logs'),
    supervisorLog: join(state, 'supervisor.log'),
  };
}

/** $XDG_RUNTIME_DIR/corral, else /tmp/corral-<uid>. */
export function baseDir(env: NodeJS.ProcessEnv = process.env): string {
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime && isAbsolute(runtime)) return join(runtime, 'corral');
  return join('/tmp', `corral-${process.geteuid?.() ?? 'user'}`);
}

/**
 * Creates `path` (mode 0700) if missing, then proves it is a real directory (not a symlink
 * someone planted in /tmp), owned by us, with no access for group or others.
 */
export function ensurePrivateDir(path: string): void {
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  checkPrivateDir(path);
}

/** Throws UnsafeRuntimeDirError unless `path` is a directory of ours with mode 0700 (or stricter). */
export function checkPrivateDir(path: string): void {
  const st = lstatSync(path);
  const uid = process.geteuid?.() ?? -1;
  if (st.isSymbolicLink()) throw new UnsafeRuntimeDirError(path, 'it is a symbolic link');
  if (!st.isDirectory()) throw new UnsafeRuntimeDirError(path, 'it is not a directory');
  if (st.uid !== uid) throw new UnsafeRuntimeDirError(path, `it is owned by uid ${st.uid}`);
  if ((st.mode & 0o077) !== 0)
    throw new UnsafeRuntimeDirError(path, `its mode is 0${(st.mode & 0o777).toString(8)}, open to other users`);
}
