// `corral up -d`: starts the supervisor as a daemon of its own (a new session, stdio to its
// log file, no tie to this terminal) and waits for its report on a pipe: started (with the
// services' states) or failed (with the error). The daemon is the same CLI with a hidden flag.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { ControlError } from './errors.js';
import type { StartReport } from './host.js';
import { decoder } from './protocol.js';

/** The daemon's end of the report pipe. */
export const notifyFdNumber = 3;
export const daemonFlag = '--supervisor-daemon';

export interface LaunchOptions {
  /** The CLI script to run with process.execPath (process.argv[1] of this CLI). */
  cli: string;
  /** Arguments after `corral up`, without the hidden flag. */
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  log: string;
}

export async function launchDaemon(options: LaunchOptions): Promise<StartReport & { pid: number }> {
  const log = openSync(options.log, 'a', 0o600);
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(process.execPath, [options.cli, 'up', daemonFlag, ...options.args], {
      cwd: options.cwd,
      env: options.env,
      detached: true, // setsid(): no controlling terminal, not in our process group
      stdio: ['ignore', log, log, 'pipe'],
    });
  } finally {
    closeSync(log);
  }
  const pid = child.pid ?? 0;
  const pipe = child.stdio[notifyFdNumber] as Readable;
  const report = await new Promise<StartReport | null>((resolve) => {
    let got: StartReport | null = null;
    pipe.setEncoding('utf8');
    pipe.on(
      'data',
      decoder((value) => {
        got ??= value as StartReport | null;
      }),
    );
    pipe.once('close', () => resolve(got));
    pipe.once('error', () => resolve(got));
    child.once('error', () => resolve(got));
  });
  pipe.destroy();
  child.unref();
  if (report === null) {
    throw new ControlError(
      `the supervisor exited before it started the services${lastLines(options.log)}`,
      `its log: ${options.log}`,
    );
  }
  return { ...report, pid };
}

function lastLines(path: string): string {
  try {
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n').slice(-3);
    return lines.length > 0 && lines[0] !== '' ? `: ${lines.join(' / ')}` : '';
  } catch {
    return '';
  }
}
