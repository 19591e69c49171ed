// Starting a reported tree for a test, with its clean-up registered before anything exists.
import type { TestContext } from 'node:test';
import { type SpawnOptions, spawn, type Tree } from '../../dist/index.js';
import { safeCleanup } from './cleanup.js';
import { type Proc, readReport, reportedAtLeast, reportFile } from './fixtures.js';
import { waitFor } from './wait.js';

/** `promise`, or a rejection naming `what` once `ms` have passed: a hang guard, never a verdict. */
export async function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang guard: ${what} took more than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Spawns `file args` as a corral (leftovers: 'wait', so only the test ends it) and resolves once
 * `reports` processes have reported; kills the tree and whatever it reported after the test,
 * even on failure.
 */
export async function startReported(
  t: TestContext,
  file: string,
  args: string[],
  reports: number,
  options: SpawnOptions = {},
): Promise<{ tree: Tree; procs: Proc[]; report: string }> {
  const report = reportFile();
  let tree: Tree | undefined;
  t.after(async () => {
    if (tree) await bounded(tree.kill('SIGKILL'), 10_000, 'the clean-up kill').catch(() => {});
    await safeCleanup(readReport(report.path));
    report.cleanup();
  });
  tree = await spawn(file, args, {
    stdio: 'ignore',
    leftovers: 'wait',
    ...options,
    env: { ...process.env, ...options.env, CORRAL_TEST_REPORT: report.path },
  });
  const procs = await waitFor(reportedAtLeast(report.path, reports), { what: `${reports} reports from ${file}` });
  return { tree, procs, report: report.path };
}
