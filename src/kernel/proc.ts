// Thin typed readers of /proc. The kernel is the registry of processes: nothing here is cached.
import { readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  threads: number;
  startTime: number; // clock ticks since boot: with pid, names one process for ever
}

/** /proc/PID/stat, or undefined if the process is gone. */
export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined; // ENOENT/ESRCH: exited
  }
  const close = text.lastIndexOf(')');
  const f = text.slice(close + 2).split(' ');
  return {
    pid,
    comm: text.slice(text.indexOf('(') + 1, close),
    state: f[0] ?? '?',
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    session: Number(f[3]),
    threads: Number(f[17]),
    startTime: Number(f[19]),
  };
}

function readChildren(path: string, out: number[]): void {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch {
    return; // the task exited
  }
  for (const word of text.split(' ')) if (word) out.push(Number(word));
}

/** Direct children of pid, over every thread (children hang off the thread that forked them). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) readChildren(`/proc/${pid}/task/${tid}/children`, out);
  return out;
}

/** Every descendant of pid (not pid itself), parents before children. */
export function descendantsOf(pid: number): number[] {
  const out = childrenOf(pid);
  for (let i = 0; i < out.length; i++) {
    const kids = childrenOf(out[i] as number);
    for (const kid of kids) out.push(kid);
  }
  return out;
}

const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

export function errnoName(n: number): string {
  return errnoNames.get(n) ?? `errno ${n}`;
}
