// The one shape every finished tree has, whether it succeeded, failed, timed out or was killed.
import type { ResolvedLevel } from '../options.js';
import type { Totals } from '../reaper/protocol.js';

export type { Totals };

export interface MainExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  coreDumped: boolean;
}

export interface TreeResult extends MainExit {
  id: string;
  name: string | undefined;
  level: ResolvedLevel;
  command: string[];
  pid: number;
  reaperPid: number;
  timedOut: boolean;
  killed: boolean;
  leftovers: number;
  /** The limit that ended the tree or refused it forks: timeout, memory (OOM kill), processes (pids.max). */
  limit: 'timeout' | 'memory' | 'processes' | null;
  /** OOM kills in the tree's cgroup (cgroup level with maxMemory). */
  oomKills: number;
  durationMs: number;
  totals: Totals;
  stdout?: string;
  stderr?: string;
  stdoutTruncated?: boolean;
  stderrTruncated?: boolean;
}

export function succeeded(result: TreeResult): boolean {
  return result.exitCode === 0 && !result.timedOut && !result.killed;
}

/** "Command failed with exit code 2: sh -c 'exit 2'" and the like. */
export function describeFailure(result: TreeResult, timeoutMs: number): string {
  const command = result.command.map(quote).join(' ');
  if (result.timedOut) return `Command timed out after ${timeoutMs} ms: ${command}`;
  if (result.limit === 'memory')
    return `Command ran out of memory (maxMemory; ${result.oomKills} OOM kill(s)): ${command}`;
  if (result.signal) return `Command was killed with ${result.signal}: ${command}`;
  if (result.killed) return `Command was killed: ${command}`;
  return `Command failed with exit code ${result.exitCode}: ${command}`;
}

export function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
