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

/**
 * Back-pressure from where the lines go (a slow reader of `corral up`'s stdout): while
 * `blocked`, sources pause; `wait` calls them back once the output has drained. Without it the
 * lines would queue in the supervisor's memory without bound.
 */
export interface OutputGate {
  readonly blocked: boolean;
  wait(resume: () => void): void;
}

/** A gate on a writable: blocked from a `write()` that returned false until its 'drain'. */
export function gateOn(out: NodeJS.WritableStream): OutputGate & { block(): void } {
  let blocked = false;
  const waiting: (() => void)[] = [];
  return {
    get blocked() {
      return blocked;
    },
    block() {
      if (blocked) return;
      blocked = true;
      out.once('drain', () => {
        blocked = false;
        for (const resume of waiting.splice(0)) resume();
      });
    },
    wait(resume) {
      waiting.push(resume);
    },
  };
}

/**
 * Text for one destination, handed to `write` together once per turn of the event loop (or
 * per 64 KiB): a burst of lines costs one write(2), not one each (measured: 109k lines/s on
 * corral up's stdout with a write per line).
 */
export class Batch {
  readonly #write: (text: string) => void;
  #parts: string[] = [];
  #length = 0;
  #scheduled = false;

  constructor(write: (text: string) => void) {
    this.#write = write;
  }

  add(text: string): void {
    this.#parts.push(text);
    this.#length += text.length;
    if (this.#length >= 64 * 1024) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.flush();
      });
    }
  }

  /** Writes what is pending now: before anything that must come after it, and at the end. */
  flush(): void {
    if (this.#parts.length === 0) return;
    const text = this.#parts.join('');
    this.#parts = [];
    this.#length = 0;
    this.#write(text);
  }
}

/** Calls `onLine` for every line of `stream`, then `onEnd` once it has ended (or failed). */
export function readLines(
  stream: Readable,
  onLine: (line: string) => void,
  onEnd?: () => void,
  gate?: OutputGate,
): void {
  const splitter = new LineSplitter(onLine);
  let ended = false;
  const finish = (): void => {
    if (ended) return;
    ended = true;
    splitter.end();
    onEnd?.();
  };
  stream.on('data', (chunk: Buffer) => {
    splitter.push(chunk);
    if (gate?.blocked) {
      stream.pause(); // the pipe fills, and the service blocks on its own writes: nothing is lost
      gate.wait(() => stream.resume());
    }
  });
  stream.on('end', finish);
  stream.on('close', finish);
  stream.on('error', finish);
}
