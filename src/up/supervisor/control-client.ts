// The control commands' end of the socket: one request, the messages it brings, one reply.
import { createConnection } from 'node:net';
import { ControlError, NoSupervisorError } from './errors.js';
import type { LogLine } from './log-store.js';
import { decoder, encode, type Reply, type Request } from './protocol.js';

export type OkReply = Extract<Reply, { ok: true }>;

/**
 * Sends `request` to the supervisor on `socket`; `onLog` gets streamed log lines. Resolves with
 * the final reply; rejects with NoSupervisorError when nobody listens, with ControlError (its
 * code and hint kept) when the supervisor refused the request.
 */
export function request(
  socket: string,
  project: string,
  message: Request,
  onLog?: (line: LogLine) => void,
): Promise<OkReply> {
  return new Promise((resolve, reject) => {
    const connection = createConnection(socket);
    let settled = false;
    const finish = (error: Error | null, reply?: OkReply): void => {
      if (settled) return;
      settled = true;
      connection.destroy();
      if (error) reject(error);
      else resolve(reply as OkReply);
    };
    connection.setEncoding('utf8');
    connection.once('connect', () => connection.write(encode(message)));
    connection.on(
      'data',
      decoder((value) => {
        const m = value as ({ log?: LogLine } & Partial<Reply>) | null;
        if (m === null || typeof m !== 'object')
          return finish(new ControlError('the supervisor sent something unreadable'));
        if (m.log) return onLog?.(m.log);
        if (m.ok === true) return finish(null, m as OkReply);
        const failed = m as Extract<Reply, { ok: false }>;
        finish(Object.assign(new ControlError(failed.error ?? 'request failed', failed.hint), { code: failed.code }));
      }),
    );
    connection.once('end', () =>
      finish(
        new ControlError(
          'the supervisor closed the connection without an answer',
          "see 'corral logs' and the supervisor's log",
        ),
      ),
    );
    connection.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') finish(new NoSupervisorError(project, socket));
      else finish(new ControlError(`cannot reach the supervisor on ${socket}: ${error.message}`));
    });
  });
}
