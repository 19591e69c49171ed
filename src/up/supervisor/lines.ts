// Splits a byte stream into whole lines: never a line cut at a chunk boundary, never two lines
// merged; the unterminated last line is handed over when the stream ends.
import type { Readable } from 'node:stream';

/** A line longer than this is handed over in pieces: one runaway line must not eat memory. */
export const maxLineBytes = 1024 * 1024;

export class LineSplitter {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  readonly #onLine: (line: string) => void;

  constructor(onLine: (line: string) => void) {
    this.#onLine = onLine;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      this.#emit(chunk.subarray(start, nl));
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.#pending.push(chunk.subarray(start));
      this.#pendingBytes += chunk.length - start;
      if (this.#pendingBytes >= maxLineBytes) this.#emit(Buffer.alloc(0));
    }
  }

  /** The stream ended: a partial last line is still a line. */
  end(): void {
    if (this.#pendingBytes > 0) this.#emit(Buffer.alloc(0));
  }

  #emit(tail: Buffer): void {
    const bytes = this.#pendingBytes > 0 ? Buffer.concat([...this.#pending, tail]) : tail;
    this.#pending = [];
    this.#pendingBytes = 0;
    // Decoded whole, so a multi-byte character split across chunks stays one character.
    this.#onLine(bytes.toString('utf8').replace(/\r$/, ''));
  }
}

/** Calls `onLine` for every line of `stream`, then `onEnd` once it has ended (or failed). */
export function readLines(stream: Readable, onLine: (line: string) => void, onEnd?: () => void): void {
  const splitter = new LineSplitter(onLine);
  let ended = false;
  const finish = (): void => {
    if (ended) return;
    ended = true;
    splitter.end();
    onEnd?.();
  };
  stream.on('data', (chunk: Buffer) => splitter.push(chunk));
  stream.on('end', finish);
  stream.on('close', finish);
  stream.on('error', finish);
}
