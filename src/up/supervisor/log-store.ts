// Each instance's output on disk, `<time> <line>` per line, in `<name>.log` rotated to
// `<name>.log.1` when it would pass maxBytes (so at most 2 × maxBytes per instance), and
// handed to followers (corral logs -f) as it comes. Lines reach the file together, once per
// turn of the event loop (or per 64 KiB): one write(2) for many lines, not one each.
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
  /** Written and pending. */
  bytes: number;
  pending: string[];
}

const flushBytes = 64 * 1024;

export class LogStore {
  readonly dir: string;
  readonly #maxBytes: number;
  readonly #files = new Map<string, File>();
  readonly #followers = new Set<(line: LogLine) => void>();
  #pendingBytes = 0;
  #scheduled = false;

  constructor(dir: string, maxBytes = defaultMaxLogBytes) {
    this.dir = dir;
    this.#maxBytes = maxBytes;
  }

  append(service: string, line: string, time = new Date()): void {
    const entry: LogLine = { service, time: time.toISOString(), line };
    const text = `${entry.time} ${line}\n`;
    const size = Buffer.byteLength(text);
    let file = this.#open(service);
    if (file.bytes > 0 && file.bytes + size > this.#maxBytes) file = this.#rotate(service, file);
    file.pending.push(text);
    file.bytes += size;
    this.#pendingBytes += size;
    if (this.#pendingBytes >= flushBytes) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.flush();
      });
    }
    for (const follower of this.#followers) follower(entry);
  }

  /** Writes every pending line to its file (before the files are read, and at close). */
  flush(): void {
    for (const file of this.#files.values()) this.#write(file);
    this.#pendingBytes = 0;
  }

  /** Calls `fn` for every line appended from now on; returns the unsubscribe. */
  follow(fn: (line: LogLine) => void): () => void {
    this.#followers.add(fn);
    return () => this.#followers.delete(fn);
  }

  close(): void {
    this.flush();
    for (const file of this.#files.values()) closeSync(file.fd);
    this.#files.clear();
    this.#followers.clear();
  }

  #open(service: string): File {
    let file = this.#files.get(service);
    if (file) return file;
    const path = logPath(this.dir, service);
    const fd = openSync(path, 'a', 0o600);
    file = { fd, bytes: statSync(path).size, pending: [] };
    this.#files.set(service, file);
    return file;
  }

  #write(file: File): void {
    if (file.pending.length === 0) return;
    const text = Buffer.from(file.pending.join(''));
    file.pending = [];
    try {
      for (let at = 0; at < text.length; ) at += writeSync(file.fd, text, at);
    } catch {
      // ENOSPC/EIO: the lines are lost on disk but still went to followers and the terminal
    }
  }

  #rotate(service: string, file: File): File {
    this.#write(file);
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
