// Human-readable output for the CLI: one-liners, tables, sizes and times.
import { styleText } from 'node:util';
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
    result.limit === 'memory'
      ? `memory limit hit (${result.oomKills} OOM kill${result.oomKills === 1 ? '' : 's'})`
      : undefined,
    result.limit === 'processes' ? 'process limit hit (forks refused)' : undefined,
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

// Colour only for a person: a terminal on stdout and no NO_COLOR (https://no-color.org: set and not empty).
const colour = process.stdout.isTTY === true && !process.env.NO_COLOR;

/** Bold headers, dim secondary text; nothing else is coloured. */
export function paint(style: 'bold' | 'dim', text: string): string {
  // Decided above, so styleText must not second-guess it (newer Nodes check the stream too).
  return colour && text ? styleText(style, text, { validateStream: false }) : text;
}

/** Columns to fit output to, on a terminal only: piped output is never cut. */
export function terminalWidth(): number | undefined {
  const columns = process.stdout.columns;
  return process.stdout.isTTY && columns > 0 ? columns : undefined; // 0: a pty nobody sized
}

/** Cuts `text` to `width` characters, marking the cut with an ellipsis. */
export function truncate(text: string, width: number | undefined): string {
  if (width === undefined || text.length <= width) return text;
  return width < 1 ? '' : `${text.slice(0, width - 1)}…`;
}

/**
 * Columns padded to their widest cell, three spaces apart, header in bold, like docker ps.
 * Only the last column (a command line, which can be long) is cut to fit `width`; it keeps a
 * few characters even when the others alone are wider, so that it stays recognisable.
 */
export function formatTable(header: string[], rows: string[][], width?: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fixed = widths.slice(0, -1).reduce((sum, w) => sum + w + 3, 0);
  const room = width === undefined ? undefined : Math.max(width - fixed, 16);
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? truncate(c, room) : c.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [paint('bold', line(header)), ...rows.map(line)].map((l) => `${l}\n`).join('');
}

/** argv as a shell would read it back: words with spaces or metacharacters single-quoted. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ');
}

/** CPU time: 0.4s, 12s, 3m05s, 2h10m. */
export function formatCpu(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  return formatSpan(ms, true);
}

/** An age, coarse as docker's: 5s, 3m, 2h, 4d. */
export function formatAge(ms: number): string {
  return formatSpan(Math.max(ms, 0), false);
}

function formatSpan(ms: number, precise: boolean): string {
  const s = Math.floor(ms / 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return precise ? `${Math.floor(s / 60)}m${two(s % 60)}s` : `${Math.floor(s / 60)}m`;
  if (s < 86_400)
    return precise ? `${Math.floor(s / 3600)}h${two(Math.floor(s / 60) % 60)}m` : `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** Memory from KiB: 512K, 12.3M, 1.5G. */
export function formatMemory(kib: number): string {
  if (kib < 1024) return `${Math.round(kib)}K`;
  if (kib < 1024 * 1024) return `${(kib / 1024).toFixed(1)}M`;
  return `${(kib / 1024 / 1024).toFixed(1)}G`;
}
