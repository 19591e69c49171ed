// Human-readable one-liners for the CLI.
import type { TreeResult } from '../tree/result.js';

export function formatSummary(result: TreeResult): string {
  const ended = result.timedOut
    ? `timed out, main ${result.signal ? `killed by ${result.signal}` : `exited ${result.exitCode}`}`
    : result.signal
      ? `main killed by ${result.signal}`
      : `main exited ${result.exitCode}`;
  const t = result.totals;
  const parts = [
    ended,
    `${t.processes} reaped, peak ${t.peakProcesses}`,
    result.leftovers > 0 ? `${result.leftovers} leftover${result.leftovers === 1 ? '' : 's'} stopped` : undefined,
    `cpu ${seconds(t.cpuUserMs)} user ${seconds(t.cpuSystemMs)} sys`,
    `max rss ${mebibytes(t.peakRssKiB)}`,
    `${seconds(result.durationMs)} wall`,
    `level ${result.level}`,
  ];
  return `corral: tree ${result.id}${result.name ? ` (${result.name})` : ''} done: ${parts.filter(Boolean).join(', ')}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 3 : 1)}s`;
}

function mebibytes(kib: number): string {
  return `${(kib / 1024).toFixed(1)} MiB`;
}
