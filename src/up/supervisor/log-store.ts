// Each instance's output on disk, `<time> <line>` per line, in `<name>.log` rotated to
// `<name>.log.1` when it would pass maxBytes (so at most 2 × maxBytes per instance), and
// handed to followers (corral logs -f) as it comes.
import { closeSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const defaultMaxLogBytes = 10 * 1024 * 1024;

export interface LogLine {
  service: string;
  time: string; // ISO 8601
  line: string;
}

interface File {
  fd: number;
  bytes: number;
}

export class LogStore {
  readonly dir: string;
  readonly #maxBytes: number;
  readonly #files = new Map<string, File>();
  readonly #followers = new Set<(line: LogLine) => void>();

  constructor(dir: string, maxBytes = defaultMaxLogBytes) {
    this.dir = dir;
    this.#maxBytes = maxBytes;
  }

  append(service: string, line: string, time = new Date()): void {
    const entry: LogLine = { service, time: time.toISOString(), line };
    const text = Buffer.from(`${entry.time} ${line}\n`);
    let file = this.#open(service);
    if (file.bytes > 0 && file.bytes + text.length > this.#maxBytes) file = this.#rotate(service, file);
    try {
      writeSync(file.fd, text);
      file.bytes += text.length;
    } catch {
      // ENOSPC/EIO: the line is lost on disk but still goes to followers and the terminal
    }
    for (const follower of this.#followers) follower(entry);
  }

  /** Calls `fn` for every line appended from now on; returns the unsubscribe. */
  follow(fn: (line: LogLine) => void): () => void {
    this.#followers.add(fn);
    return () => this.#followers.delete(fn);
  }

  close(): void {
    for (const file of this.#files.values()) closeSync(file.fd);
    this.#files.clear();
    this.#followers.clear();
  }

  #open(service: string): File {
    let file = this.#files.get(service);
    if (file) return file;
    const path = logPath(this.dir, service);
    const fd = openSync(path, 'a', 0o600);
    file = { fd, bytes: statSync(path).size };
    this.#files.set(service, file);
    return file;
  }

  #rotate(service: string, file: File): File {
    closeSync(file.fd);
    this.#files.delete(service);
    const path = logPath(this.dir, service);
    renameSync(path, `${path}.1`); // replaces the older .1: two files at most
    return this.#open(service);
  }
}

export function logPath(dir: string, service: string): string {
  return join(dir, `${service}.log`);
}

/**
 * The last `n` lines of each service (all when n is Infinity), merged in time order (a
 * service's own order kept on equal times). Reads both files of a rotation.
 */
export function readTail(dir: string, services: readonly string[], n: number): LogLine[] {
  const all: LogLine[] = [];
  for (const service of services) {
    const path = logPath(dir, service);
    const lines = [...readLines(`${path}.1`), ...readLines(path)];
    const kept = Number.isFinite(n) ? lines.slice(Math.max(0, lines.length - n)) : lines;
    for (const text of kept) all.push(parseLine(service, text));
  }
  return all.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

function readLines(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return []; // ENOENT: nothing logged (or not rotated) yet
  }
  const lines = text.split('\n');
  lines.pop(); // after the last '\n'
  return lines;
}

function parseLine(service: string, text: string): LogLine {
  const space = text.indexOf(' ');
  return space > 0
    ? { service, time: text.slice(0, space), line: text.slice(space + 1) }
    : { service, time: '', line: text };
}
