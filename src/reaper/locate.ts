// Finds the corral-reaper executable built at install time.
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ReaperNotFoundError } from '../errors.js';

let cached: string | undefined;

export function locateReaper(): string {
  if (cached !== undefined) return cached;
  const path =
    process.env.CORRAL_REAPER ?? fileURLToPath(new URL('../../build/Release/corral-reaper', import.meta.url));
  try {
    accessSync(path, constants.X_OK);
  } catch (error) {
    throw new ReaperNotFoundError(path, error);
  }
  cached = path;
  return path;
}
