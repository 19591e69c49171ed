// What a command asks main.ts to do when it is finished: the only process.exit is there.
import type { TreeResult } from '../tree/result.js';

export interface Outcome {
  status: number;
  /** Die of this signal instead of exiting, as timeout(1) does when the command was killed by it. */
  raise?: NodeJS.Signals | undefined;
  /** Written to stdout as JSON before exiting. */
  json?: unknown;
  /** Written to stdout as is. */
  text?: string;
  /** A failure that is an answer rather than an exception (`which`: in no corral): `corral: <error>` on stderr. */
  error?: string;
}

export type { TreeResult };
