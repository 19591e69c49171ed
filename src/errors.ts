// Every error corral throws: a CorralError with a stable `code`, documented in docs/errors.md.
import type { TreeResult } from './tree/result.js';

export class CorralError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }
}

/** An option had a bad value; thrown before any process exists. */
export class InvalidOptionError extends CorralError {
  readonly option: string;
  constructor(option: string, message: string, hint?: string) {
    super('CORRAL_ERR_INVALID_OPTION', message, hint === undefined ? {} : { hint });
    this.option = option;
  }
}

export class UnsupportedPlatformError extends CorralError {
  constructor(detail: string) {
    super('CORRAL_ERR_UNSUPPORTED_PLATFORM', `corral needs Linux >= 5.3 (pidfd): ${detail}`, {
      hint: 'run corral on Linux; macOS and Windows containment is not implemented',
    });
  }
}

export class ReaperNotFoundError extends CorralError {
  constructor(path: string, cause?: unknown) {
    super('CORRAL_ERR_REAPER_NOT_FOUND', `the corral-reaper helper is missing at ${path}`, {
      cause,
      hint: 'run `npm install` (or `npm rebuild corral`) to build it, or set CORRAL_REAPER to its path',
    });
  }
}

/** The reaper failed before the command started, or died, or spoke an unknown protocol. */
export class ReaperError extends CorralError {
  constructor(message: string, cause?: unknown) {
    super('CORRAL_ERR_REAPER', message, cause === undefined ? {} : { cause });
  }
}

/** The command could not be started. `result` describes the (empty) tree. */
export class SpawnError extends CorralError {
  readonly file: string;
  readonly errno: string;
  constructor(code: string, file: string, errno: string, message: string, hint: string) {
    super(code, message, { hint });
    this.file = file;
    this.errno = errno;
  }
}

export class CommandNotFoundError extends SpawnError {
  constructor(file: string) {
    super(
      'CORRAL_ERR_COMMAND_NOT_FOUND',
      file,
      'ENOENT',
      `command not found: ${file}`,
      file.includes('/') ? 'check the path' : 'check the spelling, or that its directory is on PATH',
    );
  }
}

export class CommandNotExecutableError extends SpawnError {
  constructor(file: string, errno: string) {
    super(
      'CORRAL_ERR_NOT_EXECUTABLE',
      file,
      errno,
      `cannot execute ${file}: ${errno}`,
      errno === 'EACCES'
        ? `make it executable (chmod +x ${file}) or run it through its interpreter`
        : 'check that it is a program for this machine',
    );
  }
}

/** The reaper could not fork the command: a process or memory limit, not the command's fault. */
export class ForkFailedError extends CorralError {
  readonly errno: string;
  constructor(errno: string) {
    super('CORRAL_ERR_FORK_FAILED', `cannot fork the command: ${errno}`, {
      hint:
        errno === 'EAGAIN'
          ? 'a process limit was reached (ulimit -u, pids.max, kernel.pid_max); wait for processes to exit or raise it'
          : 'the machine is out of memory',
    });
    this.errno = errno;
  }
}

/** The containment level asked for (or a limit that needs one) cannot run here; never silently downgraded. */
export class LevelUnavailableError extends CorralError {
  readonly level: string;
  constructor(level: string, message: string, fix: string | undefined) {
    super('CORRAL_ERR_LEVEL_UNAVAILABLE', message, fix === undefined ? {} : { hint: fix });
    this.level = level;
  }
}

/** No live corral has that id or name. */
export class NoSuchCorralError extends CorralError {
  constructor(idOrName: string) {
    super('CORRAL_ERR_NO_SUCH_CORRAL', `no such corral: ${idOrName}`, {
      hint: "run 'corral ps' to see the live corrals (trees that are gone are not listed)",
    });
  }
}

/** A name (or id prefix) matched several live corrals. */
export class AmbiguousCorralError extends CorralError {
  readonly matches: string[];
  constructor(idOrName: string, matches: string[]) {
    super('CORRAL_ERR_AMBIGUOUS_CORRAL', `'${idOrName}' matches ${matches.length} corrals: ${matches.join(', ')}`, {
      hint: 'name one by its id',
    });
    this.matches = matches;
  }
}

/** The corral belongs to another user: only they (or root) may stop it. */
export class NotPermittedError extends CorralError {
  constructor(id: string, uid: number) {
    super('CORRAL_ERR_NOT_PERMITTED', `corral ${id} belongs to uid ${uid}: you may not signal it`, {
      hint: 'run as that user or as root',
    });
  }
}

/** run() rejects with one of these when the tree did not succeed; it carries the whole result. */
export class TreeFailedError extends CorralError {
  readonly result: TreeResult;
  constructor(code: string, message: string, result: TreeResult) {
    super(code, message);
    this.result = result;
    Object.assign(this, result);
  }
}

export class CommandFailedError extends TreeFailedError {
  constructor(message: string, result: TreeResult) {
    super('CORRAL_ERR_COMMAND_FAILED', message, result);
  }
}

export class TimeoutError extends TreeFailedError {
  constructor(message: string, result: TreeResult) {
    super('CORRAL_ERR_TIMEOUT', message, result);
  }
}

export class KilledError extends TreeFailedError {
  constructor(message: string, result: TreeResult) {
    super('CORRAL_ERR_KILLED', message, result);
  }
}

export function isCorralError(error: unknown): error is CorralError {
  return error instanceof CorralError;
}
