// corral: a whole process tree as one thing. Public API; re-exports only.
export {
  AmbiguousCorralError,
  CommandFailedError,
  CommandNotExecutableError,
  CommandNotFoundError,
  CorralError,
  ForkFailedError,
  InvalidOptionError,
  isCorralError,
  KilledError,
  LevelUnavailableError,
  NoSuchCorralError,
  NotPermittedError,
  ReaperError,
  ReaperNotFoundError,
  SpawnError,
  TimeoutError,
  TreeFailedError,
  UnsupportedPlatformError,
} from './errors.js';
export type { Capabilities, LevelCapability } from './kernel/capabilities.js';
export { capabilities } from './kernel/capabilities.js';
export type { AttachedTree } from './lookup/attach.js';
export { attachCorral as attach } from './lookup/attach.js';
export type { CorralInfo } from './lookup/list.js';
export { listCorrals as list } from './lookup/list.js';
export type { Owner } from './lookup/owner.js';
export { findOwner as ownerOf } from './lookup/owner.js';
export type { CorralRef } from './lookup/reaper-identity.js';
export type { Level, RunOptions, SpawnOptions, StdioValue } from './options.js';
export type { MainExit, Totals, TreeResult } from './tree/result.js';
export { runTree as run } from './tree/run.js';
export { spawnTree as spawn } from './tree/spawn.js';
export { parseDuration } from './tree/timeout.js';
export type { KillOptions, Tree } from './tree/tree.js';
