// The control protocol over the project's unix socket: newline-delimited JSON, one request per
// connection; the supervisor answers with zero or more `log` messages and one final reply.
import type { LogLine } from './log-store.js';
import type { ServiceStatus } from './status.js';

export const controlVersion = 1;

export type Request =
  | { cmd: 'ping' }
  | { cmd: 'status'; services?: string[] }
  | { cmd: 'stop' | 'start' | 'restart'; services: string[] }
  | { cmd: 'down' }
  | { cmd: 'logs'; services: string[]; lines: number | null; follow: boolean };

export interface SupervisorInfo {
  version: number;
  pid: number;
  /** Its start time (clock ticks since boot): with pid, names the supervisor for good. */
  start: number;
  project: string;
  dir: string;
  file: string;
  socket: string;
  log: string;
}

export type Reply =
  | { ok: true; supervisor: SupervisorInfo; services?: ServiceStatus[] }
  | { ok: false; error: string; code: string; hint?: string };

export type Message = Reply | { log: LogLine };

export function encode(message: Request | Message): string {
  return `${JSON.stringify(message)}\n`;
}

/** Feeds chunks in, calls `fn` for each whole JSON line (bad lines are reported as null). */
export function decoder(fn: (value: unknown) => void): (chunk: string) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk;
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.trim() === '') continue;
      try {
        fn(JSON.parse(line));
      } catch {
        fn(null);
      }
    }
  };
}
