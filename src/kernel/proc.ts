// Thin typed readers of /proc. The kernel is the registry of processes: nothing here is cached.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { constants } from 'node:os';

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  utimeTicks: number;
  stimeTicks: number;
  threads: number;
  startTime: number; // clock ticks since boot: with pid, names one process for ever
  rssPages: number;
}

/** USER_HZ: what /proc counts CPU time and start times in; 100 on every Linux architecture Node runs on. */
export const ticksPerSecond = 100;

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
    utimeTicks: Number(f[11]),
    stimeTicks: Number(f[12]),
    threads: Number(f[17]),
    startTime: Number(f[19]),
    rssPages: Number(f[21]),
  };
}

/** argv of a process ([] for a kernel thread or a process that is gone). */
export function readCmdline(pid: number): string[] {
  try {
    const text = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return text.length === 0 ? [] : text.slice(0, -1).split('\0');
  } catch {
    return [];
  }
}

/** Owner of /proc/PID: the process's uid (undefined if gone). */
export function readUid(pid: number): number | undefined {
  try {
    return statSync(`/proc/${pid}`).uid;
  } catch {
    return undefined;
  }
}

/** Every pid in /proc now. */
export function listPids(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) out.push(Number(name));
  }
  return out;
}

let pageSize: number | undefined;

/** Bytes per page, learnt once from our own RSS (Node exposes no sysconf). */
export function pageBytes(): number {
  if (pageSize === undefined) {
    const pages = readStat(process.pid)?.rssPages ?? 0;
    const guess = pages > 0 ? process.memoryUsage().rss / pages : 4096;
    pageSize = 2 ** Math.round(Math.log2(guess));
  }
  return pageSize;
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
