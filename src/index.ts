// corral: a whole process tree as one thing. Public API; re-exports only.
export {
  CommandFailedError,
  CommandNotExecutableError,
  CommandNotFoundError,
  CorralError,
  ForkFailedError,
  InvalidOptionError,
  isCorralError,
  KilledError,
  ReaperError,
  ReaperNotFoundError,
  SpawnError,
  TimeoutError,
  TreeFailedError,
  UnsupportedPlatformError,
} from './errors.js';
export type { Level, RunOptions, SpawnOptions, StdioValue } from './options.js';
export type { MainExit, Totals, TreeResult } from './tree/result.js';
export { runTree as run } from './tree/run.js';
export { spawnTree as spawn } from './tree/spawn.js';
export { parseDuration } from './tree/timeout.js';
export type { KillOptions, Tree } from './tree/tree.js';
