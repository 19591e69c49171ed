// spawnTree(): normalizeOptions → locateReaper → startReaper → attach.
import { accessSync, constants, statSync } from 'node:fs';
import {
  CommandNotExecutableError,
  CommandNotFoundError,
  ForkFailedError,
  InvalidOptionError,
  LevelUnavailableError,
  ReaperError,
  UnsupportedPlatformError,
} from '../errors.js';
import { errnoName } from '../kernel/proc.js';
import { type NormalizedOptions, normalizeOptions, type SpawnOptions } from '../options.js';
import { ReaperClient, type ReaperExit } from '../reaper/client.js';
import { locateReaper } from '../reaper/locate.js';
import type { ReaperEvent } from '../reaper/protocol.js';
import { type LevelPlan, resolveLevel } from './levels.js';
import { Tree } from './tree.js';

export async function spawnTree(file: string, args?: readonly string[], options?: SpawnOptions): Promise<Tree> {
  const startedAt = performance.now();
  const normalized = normalizeOptions(file, args, options);
  checkPlatform();
  checkCwd(normalized.cwd);
  const plan = await resolveLevel(normalized);
  normalized.level = plan.level;
  const client = new ReaperClient(locateReaper(), normalized, plan);
  return attach(client, normalized, plan, startedAt);
}

/** Resolves with the Tree once main runs; rejects once the reaper is gone if it never did. */
function attach(client: ReaperClient, options: NormalizedOptions, plan: LevelPlan, startedAt: number): Promise<Tree> {
  return new Promise((resolve, reject) => {
    let failure: Error | undefined;
    const onEvent = (event: ReaperEvent): void => {
      if (event.type === 'started') {
        cleanup();
        resolve(new Tree(client, options, { main: event.pid, init: event.init, cgroup: plan.cgroup?.dir }, startedAt));
      } else if (event.type === 'spawn-failed') {
        failure = spawnFailure(options.file, errnoName(event.errno));
      } else if (event.type === 'fatal') {
        failure = setupFailure(plan, event.what, errnoName(event.errno));
      }
    };
    const onExit = (exit: ReaperExit): void => {
      cleanup();
      reject(
        failure ?? new ReaperError(`corral-reaper exited (${exit.signal ?? exit.code}) before starting the command`),
      );
    };
    const onError = (error: Error): void => {
      failure = error;
      client.disconnect();
    };
    const cleanup = (): void => {
      client.off('event', onEvent);
      client.off('exit', onExit);
      client.off('error', onError);
    };
    client.on('event', onEvent);
    client.on('exit', onExit);
    client.on('error', onError);
  });
}

function setupFailure(plan: LevelPlan, what: string, errno: string): Error {
  if (plan.level === 'track') return new ReaperError(`corral-reaper could not set up: ${what}: ${errno}`);
  // The level was judged available, yet setting it up failed: say which level, and what to check.
  return new LevelUnavailableError(
    plan.level,
    `the ${plan.level} level could not be set up: ${what}: ${errno}`,
    'run `corral doctor` for what this machine allows; choose another level with --level (or `level`)',
  );
}

function spawnFailure(file: string, errno: string): Error {
  if (errno === 'ENOENT') return new CommandNotFoundError(file);
  if (errno === 'EAGAIN' || errno === 'ENOMEM') return new ForkFailedError(errno);
  return new CommandNotExecutableError(file, errno);
}

function checkPlatform(): void {
  if (process.platform !== 'linux') throw new UnsupportedPlatformError(`this is ${process.platform}`);
}

function checkCwd(cwd: string | undefined): void {
  if (cwd === undefined) return;
  let isDirectory = false;
  try {
    isDirectory = statSync(cwd).isDirectory();
    accessSync(cwd, constants.X_OK); // a directory we may not enter is as bad as none
  } catch {
    isDirectory = false; // ENOENT/EACCES: reported below as a bad option
  }
  if (!isDirectory) {
    throw new InvalidOptionError(
      'cwd',
      `Expected \`cwd\` to be an existing directory we may enter, got \`${cwd}\`. Create it (or fix its permissions) or pass another path.`,
    );
  }
}
