// Unprivileged behaviour is tested as a real unprivileged user, `corral-test` (created by
// .ci/run). The root-side test copies the built tree somewhere that user can read (the
// checkout may sit under a directory it cannot traverse), runs a script there through
// setpriv, and afterwards checks that no process of that uid is left.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { killVerified } from './cleanup.js';
import { repoRoot } from './fixtures.js';
import { processesOfUser, readStat } from './proc.js';
import { waitFor } from './wait.js';

export const testUserName = 'corral-test';

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
}

/** corral-test from /etc/passwd, or null if it does not exist. */
export function testUser(): TestUser | null {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === testUserName) return { name, uid: Number(uid), gid: Number(gid) };
  }
  return null;
}

/**
 * The user, or undefined after `t.skip(reason)` when it cannot be used here. Under CI=true a
 * missing user or missing root is a failure instead: CI must not silently skip these tests.
 */
export function requireTestUser(t: { skip(message?: string): void }): TestUser | undefined {
  const user = testUser();
  const reason =
    process.geteuid?.() !== 0
      ? `not running as root, so cannot switch to ${testUserName}`
      : user === null
        ? `user ${testUserName} does not exist; create it with \`useradd --system --no-create-home --shell /usr/sbin/nologin ${testUserName}\` (.ci/run does)`
        : null;
  if (reason === null && user !== null) return user;
  if (process.env.CI === 'true') throw new Error(`Unprivileged tests cannot run: ${reason}`);
  t.skip(reason ?? undefined);
  return undefined;
}

export interface UserRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

// What a scenario needs at run time, relative to the repository root (no node_modules: the
// library has no runtime dependencies).
const copied = ['package.json', 'dist', 'dist-test', 'build/Release/corral-reaper'];
let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `node <scriptPath> ...args` as corral-test (scriptPath: a compiled file inside this
 * checkout, e.g. dist-test/scenarios/x.js). `bound` is a hang guard: reaching it fails. Then
 * asserts no process of the user remains (killing any it finds, verified by pid + start time).
 * Calls are serialised, since "no process of the user" is a per-machine fact.
 */
export function runAsUser(scriptPath: string, args: string[] = [], { bound = 120_000 } = {}): Promise<UserRun> {
  const run = queue.then(() => withUserLock(() => runSerialised(scriptPath, args, bound)));
  queue = run.catch(() => undefined);
  return run;
}

// node --test runs each file in its own process: the lock is a directory, which mkdir creates
// atomically, naming its owner by pid and start time so that a crashed owner's lock is broken.
const lockDir = join(tmpdir(), 'corral-test-user.lock');

async function withUserLock<T>(fn: () => Promise<T>): Promise<T> {
  const me = `${process.pid} ${readStat(process.pid)?.start}`;
  await waitFor(
    () => {
      try {
        mkdirSync(lockDir);
        writeFileSync(join(lockDir, 'owner'), me);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        if (lockIsStale()) rmSync(lockDir, { recursive: true, force: true });
        return false;
      }
    },
    { bound: 300_000, what: `the ${testUserName} lock (${lockDir})` },
  );
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function lockIsStale(): boolean {
  let owner: string;
  try {
    owner = readFileSync(join(lockDir, 'owner'), 'utf8');
  } catch {
    return false; // being created right now
  }
  const [pid, start] = owner.split(' ').map(Number);
  return readStat(pid as number)?.start !== start;
}

async function runSerialised(scriptPath: string, args: string[], bound: number): Promise<UserRun> {
  const user = testUser();
  if (user === null) throw new Error(`User ${testUserName} does not exist; call requireTestUser(t) first`);
  const rel = relative(repoRoot, scriptPath);
  if (rel.startsWith(`..${sep}`)) throw new Error(`Expected a script inside ${repoRoot}, got ${scriptPath}`);
  const dir = mkdtempSync('/tmp/corral-user-');
  try {
    for (const path of copied) cpSync(join(repoRoot, path), join(dir, path), { recursive: true });
    makeReadable(dir);
    const tmp = join(dir, 'tmp'); // the user's TMPDIR: report files it leaves go with `dir`
    mkdirSync(tmp);
    chownSync(tmp, user.uid, user.gid);
    const result = await runChild(user, join(dir, rel), args, { cwd: dir, tmp, bound });
    await expectNoProcessOf(user, `after ${rel} exited ${result.code ?? result.signal}; stderr: ${result.stderr}`);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function makeReadable(path: string): void {
  const stat = statSync(path);
  if (stat.isDirectory()) {
    chmodSync(path, 0o755);
    for (const entry of readdirSync(path)) makeReadable(join(path, entry));
  } else {
    chmodSync(path, stat.mode & 0o100 ? 0o755 : 0o644);
  }
}

async function runChild(
  user: TestUser,
  script: string,
  args: string[],
  { cwd, tmp, bound }: { cwd: string; tmp: string; bound: number },
): Promise<UserRun> {
  const setprivArgs = ['--reuid', String(user.uid), '--regid', String(user.gid), '--init-groups'];
  const child = spawn('setpriv', [...setprivArgs, process.execPath, script, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, TMPDIR: tmp, CI: process.env.CI ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', reject).on('close', (code, signal) => resolve([code, signal]));
  });
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), bound);
  });
  try {
    const outcome = await Promise.race([closed, hung]);
    if (outcome === 'hung') {
      // Our own child, not yet reaped by Node, so its pid is still its own.
      child.kill('SIGKILL');
      await expectNoProcessOf(user, 'after the hang guard').catch(() => undefined); // frees the pipes
      throw new Error(
        `${script} as ${user.name} did not finish (hang guard: ${bound} ms)\nstdout: ${stdout}\nstderr: ${stderr}`,
      );
    }
    return { code: outcome[0], signal: outcome[1], stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

/** Waits (hang guard 5 s) for the user to have no process; kills and fails on leftovers. */
async function expectNoProcessOf(user: TestUser, context: string): Promise<void> {
  try {
    await waitFor(() => processesOfUser(user.uid).length === 0, { bound: 5_000, what: `no process of ${user.name}` });
  } catch {
    const left = processesOfUser(user.uid);
    killVerified(left);
    assert.deepEqual(left, [], `processes of ${user.name} (uid ${user.uid}) left ${context}`);
  }
}
