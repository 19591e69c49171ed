// The supervisor's end of the control socket: claims the path (one supervisor per project; a
// stale socket nobody listens on is replaced), serves one request per connection.
import { chmodSync, statSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { SupervisorRunningError } from './errors.js';
import { decoder, encode, type Message, type Reply, type SupervisorInfo } from './protocol.js';

export type Handler = (request: unknown, send: (message: Message) => void, closed: Promise<void>) => Promise<Reply>;

/** How long a live socket gets to answer a ping before we call its owner hung (still "running"). */
const pingBoundMs = 2000;
/** On close, connections get this long to take their last reply. */
const drainBoundMs = 2000;

export class ControlServer {
  readonly path: string;
  readonly #server: Server;
  readonly #ino: number;
  readonly #sockets = new Set<Socket>();
  #closing: (() => void)[] = [];

  private constructor(path: string, server: Server, handler: Handler) {
    this.path = path;
    this.#server = server;
    this.#ino = statSync(path).ino;
    server.on('connection', (socket) => this.#serve(socket, handler));
  }

  /**
   * Listens on `path`, mode 0600. A socket that answers is another supervisor
   * (SupervisorRunningError, with its pid); one that refuses (ECONNREFUSED) was left by a dead
   * one and is removed. Two supervisors racing for the same stale socket: bind() lets only one
   * create the path, and the loser probes again and finds the winner.
   */
  static async listen(path: string, project: string, handler: Handler): Promise<ControlServer> {
    for (let attempt = 0; ; attempt++) {
      const found = await probeSocket(path);
      if (found !== 'none' && found !== 'stale') throw new SupervisorRunningError(project, found?.pid ?? null, path);
      if (found === 'stale') unlinkSync(path);
      const server = createServer();
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(path, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 2) continue;
        throw error;
      }
      chmodSync(path, 0o600); // the 0700 directory is the real guard; this is belt and braces
      return new ControlServer(path, server, handler);
    }
  }

  /** Stops accepting, removes the socket (if it is still ours), lets open connections finish (bounded). */
  async close(): Promise<void> {
    this.#server.close();
    try {
      if (statSync(this.path).ino === this.#ino) unlinkSync(this.path);
    } catch {
      // ENOENT: someone removed it already
    }
    for (const end of this.#closing) end();
    this.#closing = [];
    const open = [...this.#sockets].map((s) => new Promise<void>((resolve) => s.once('close', () => resolve())));
    await Promise.race([Promise.all(open), new Promise((r) => setTimeout(r, drainBoundMs))]);
    for (const s of this.#sockets) s.destroy();
  }

  #serve(socket: Socket, handler: Handler): void {
    this.#sockets.add(socket);
    socket.setEncoding('utf8');
    socket.on('error', () => {}); // the client went away: nothing to tell it
    let endClosed!: () => void;
    const closed = new Promise<void>((resolve) => {
      endClosed = resolve;
    });
    this.#closing.push(endClosed);
    socket.once('close', () => {
      this.#sockets.delete(socket);
      endClosed();
    });
    let started = false;
    const send = (message: Message): void => {
      if (!socket.destroyed) socket.write(encode(message));
    };
    socket.on(
      'data',
      decoder((request) => {
        if (started) return; // one request per connection
        started = true;
        void handler(request, send, closed)
          .catch(
            (error: Error): Reply => ({
              ok: false,
              error: error.message,
              code: (error as { code?: string }).code ?? 'CORRAL_ERR_CONTROL',
              ...((error as { hint?: string }).hint ? { hint: (error as { hint?: string }).hint as string } : {}),
            }),
          )
          .then((reply) => {
            if (!socket.destroyed) socket.end(encode(reply));
          });
      }),
    );
  }
}

/** 'none' (no socket), 'stale' (nobody listens), the supervisor's info, or null (it did not answer in time). */
export function probeSocket(path: string): Promise<'none' | 'stale' | SupervisorInfo | null> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const done = (value: 'none' | 'stale' | SupervisorInfo | null): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(null), pingBoundMs);
    socket.setEncoding('utf8');
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      socket.write(encode({ cmd: 'ping' }));
    });
    socket.on(
      'data',
      decoder((reply) => {
        const r = reply as { ok?: boolean; supervisor?: SupervisorInfo } | null;
        done(r?.ok && r.supervisor ? r.supervisor : null);
      }),
    );
    socket.once('end', () => done(null));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (connected)
        resolve(null); // it took the connection and dropped it: alive, but not answering
      else if (error.code === 'ENOENT') resolve('none');
      else if (error.code === 'ECONNREFUSED') resolve('stale');
      else reject(error);
    });
  });
}
