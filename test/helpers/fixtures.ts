// Where the C fixtures live and how to read what they report. A fixture appends
// `pid <pid> <starttime>` to $CORRAL_TEST_REPORT for every process it creates; the pair
// names one process for good (a bare pid may be reused), so every helper takes `Proc`.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A process named for good: pid plus start time (field 22 of /proc/PID/stat, clock ticks). */
export interface Proc {
  pid: number;
  start: number;
}

// dist-test/helpers/ → repository root (test/ and dist-test/ have the same depth).
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Absolute path of dist-test/fixtures/<name> (built by scripts/build-fixtures.js in pretest). */
export function fixture(name: string): string {
  return join(repoRoot, 'dist-test', 'fixtures', name);
}

// Report directories not cleaned up yet: removed at exit too, should a test never get to it.
const reportDirs = new Set<string>();
process.once('exit', () => {
  for (const dir of reportDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh, empty report file; pass `path` as CORRAL_TEST_REPORT, call `cleanup()` when done. */
export function reportFile(): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'corral-report-'));
  const path = join(dir, 'report');
  writeFileSync(path, '');
  reportDirs.add(dir);
  const cleanup = (): void => {
    rmSync(dir, { recursive: true, force: true });
    reportDirs.delete(dir);
  };
  return { path, cleanup };
}

/** Every reported process in report order (parents before their children); re-exec repeats a line. */
export function readReport(path: string): Proc[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const lines = text.split('\n');
  lines.pop(); // "" after the last '\n' (each line is one write, so none is partial)
  return lines.map((line) => {
    const match = /^pid (\d+) (\d+)$/.exec(line);
    if (!match) throw new Error(`Expected report lines like \`pid 123 456\` in ${path}, got \`${line}\``);
    return { pid: Number(match[1]), start: Number(match[2]) };
  });
}

/** For waitFor: the report once it has at least `count` lines, else null. */
export function reportedAtLeast(path: string, count: number): () => Proc[] | null {
  return () => {
    const procs = readReport(path);
    return procs.length >= count ? procs : null;
  };
}

/** The same processes once each, first appearance first. */
export function unique(procs: readonly Proc[]): Proc[] {
  const seen = new Set<string>();
  return procs.filter((p) => {
    const key = `${p.pid}:${p.start}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
