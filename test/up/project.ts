// Shared by the test/up files: projects in temporary directories, services built as the config
// layer would build them, the CLI run as a shell would, and clean-up that kills whatever a
// project left (by the corral names `<project>/…`, through attach(): never by process name).
import { spawn as spawnChild } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { TestContext } from 'node:test';
import { attach, list } from '../../dist/index.js';
import type { ProjectConfig, ServiceConfig } from '../../dist/up/types.js';
import { bounded, type Proc, readStat, repoRoot, safeCleanup } from '../helpers/index.js';

export const corralBin = join(repoRoot, 'bin', 'corral');

export interface TestProject {
  dir: string;
  /** A private XDG_RUNTIME_DIR: the project's socket and logs, nobody else's. */
  runtime: string;
  /** The project name the loader derives from the directory. */
  name: string;
  env: Record<string, string>;
  /** Processes to check and kill at the end (pid + start time). */
  procs: Proc[];
}

/** A fresh project directory; after the test every tree named `<project>/…` is killed and the directories removed. */
export function tmpProject(t: TestContext, extraEnv: Record<string, string> = {}): TestProject {
  const dir = mkdtempSync(join(tmpdir(), 'corral-up-'));
  const runtime = mkdtempSync(join(tmpdir(), 'corral-run-'));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    XDG_RUNTIME_DIR: runtime,
    NO_COLOR: '1',
    ...extraEnv,
  };
  const project: TestProject = { dir, runtime, name: basename(dir).replace(/[^\w.-]/g, '_'), env, procs: [] };
  t.after(async () => {
    // A supervisor left by a failed test: asked to go down first, then its trees and itself killed.
    await runCommand(project, corralBin, ['down'], { bound: 20_000 }).catch(() => {});
    await killProjectTrees(project.name);
    await safeCleanup(project.procs);
    rmSync(dir, { recursive: true, force: true });
    rmSync(runtime, { recursive: true, force: true });
  });
  return project;
}

/** The live corrals of a project, by their names. */
export function projectTrees(project: string): ReturnType<typeof list> {
  return list().filter((c) => c.name?.startsWith(`${project}/`));
}

export async function killProjectTrees(project: string): Promise<void> {
  for (const c of projectTrees(project)) {
    const tree = await attach(c.id).catch(() => undefined);
    if (tree) await bounded(tree.kill('SIGKILL'), 10_000, `killing ${c.name}`).catch(() => {});
  }
}

/** A service as the config layer hands it over: every field, the defaults a test does not care about. */
export function service(name: string, argv: string[], more: Partial<ServiceConfig> = {}): ServiceConfig {
  return {
    name,
    argv,
    cwd: tmpdir(),
    env: process.env as Record<string, string>,
    restart: 'no',
    backoff: { initialMs: 50, maxDelayMs: 1000, maxRestarts: 3, windowMs: 60_000 },
    stopSignal: 'SIGTERM',
    stopGraceMs: 2000,
    level: 'auto',
    limits: {},
    dependsOn: [],
    ready: null,
    scale: 1,
    source: { file: 'test', line: 1 },
    ...more,
  };
}

export function projectOf(name: string, services: ServiceConfig[]): ProjectConfig {
  return { project: name, dir: tmpdir(), file: join(tmpdir(), 'corral.yaml'), services };
}

export interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `corral ARGS` in `project.dir` with its environment; bounded. `onStart` gets the child (our own, unreaped: its pid is safe to signal). */
export async function corral(project: TestProject, args: string[], options: RunOptions = {}): Promise<CliRun> {
  const run = await runCommand(project, corralBin, args, options);
  // `up -d` names its daemon: recorded (pid + start time) so the clean-up can kill it if all else fails.
  const pid = Number(/supervisor pid (\d+)/.exec(run.stdout)?.[1] ?? 0);
  const start = pid > 0 ? readStat(pid)?.start : undefined;
  if (start !== undefined) project.procs.push({ pid, start });
  return run;
}

interface RunOptions {
  bound?: number;
  onStart?: (child: ReturnType<typeof spawnChild>) => void;
}

/** `file args` in `project.dir` with its environment; bounded (SIGKILL of our own child at the bound). */
export function runCommand(
  project: TestProject,
  file: string,
  args: string[],
  options: RunOptions = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawnChild(file, args, { cwd: project.dir, env: project.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hang guard: ${file} ${args.join(' ')}\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.bound ?? 30_000);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(guard);
      resolve({ status, signal, stdout, stderr });
    });
    options.onStart?.(child);
  });
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Can we bind the port now (nobody holds it any more)? */
export async function canBind(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
