// Scenario run as the unprivileged user by test/tree/unprivileged.test.ts (via runAsUser):
// starts escape-prone trees with the library, stops each with kill() or a timeout, and checks
// every reported process is gone. Prints one JSON verdict line; exits 0 only if all passed.
import { spawn as spawnChild } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { type SpawnOptions, spawn, type Tree, type TreeResult } from '../../dist/index.js';
import {
  fixture,
  type Proc,
  readReport,
  reportFile,
  safeCleanup,
  survivors,
  unique,
  waitFor,
  withPidsLimit,
} from '../helpers/index.js';

interface Scenario {
  name: string;
  fixture: string;
  args?: string[];
  /** Reported processes to wait for before stopping the tree (0: do not wait). */
  reports: number;
  options?: SpawnOptions;
  env?: Record<string, string>;
  stop: (tree: Tree) => Promise<TreeResult>;
  /** What the result must say besides "nothing left". */
  expect: (result: TreeResult) => boolean;
}

export interface ScenarioVerdict {
  name: string;
  ok: boolean;
  reported: number;
  survivors: (Proc & { state: string })[];
  result?: Pick<TreeResult, 'exitCode' | 'signal' | 'killed' | 'timedOut' | 'leftovers' | 'durationMs'> & {
    processes: number;
  };
  error?: string;
}

const kill = (tree: Tree): Promise<TreeResult> => tree.kill();
const killed = (r: TreeResult): boolean => r.killed && !r.timedOut;

const scenarios: Scenario[] = [
  { name: 'plain', fixture: 'forever', reports: 1, stop: kill, expect: killed },
  { name: 'chain 20', fixture: 'chain', args: ['20'], reports: 20, stop: kill, expect: killed },
  { name: 'double-fork', fixture: 'double-fork', reports: 3, stop: kill, expect: killed },
  { name: 'new-session', fixture: 'new-session', reports: 2, stop: kill, expect: killed },
  {
    // grace: Infinity, so only the SIGTERM pass can end it: a member the pass missed hangs.
    name: 'chain 20, SIGTERM alone reaches every member',
    fixture: 'chain',
    args: ['20'],
    reports: 20,
    stop: (tree) => hangGuard(tree.kill('SIGTERM', { grace: Number.POSITIVE_INFINITY }), 'SIGTERM to end it', 10_000),
    expect: (r) => r.killed && r.signal === 'SIGTERM',
  },
  {
    name: 'ignore-term with grace',
    fixture: 'ignore-term',
    reports: 2,
    stop: (tree) => tree.kill('SIGTERM', { grace: 200 }),
    expect: (r) => r.killed && r.signal === 'SIGKILL',
  },
  {
    // Main exits 0 at once; leftovers: 'kill' must end the grandchild holding stdout, so EOF comes.
    name: 'hold-stdout',
    fixture: 'hold-stdout',
    reports: 3,
    options: { stdio: ['ignore', 'pipe', 'ignore'] },
    stop: async (tree) => {
      const stdout = tree.stdout;
      stdout?.resume();
      // With no data, 'end' may already have fired by now.
      const [result] = await Promise.all([tree.done, !stdout || stdout.readableEnded ? null : once(stdout, 'end')]);
      return result;
    },
    expect: (r) => r.exitCode === 0 && r.leftovers >= 1,
  },
  { name: 'zombie-factory 10', fixture: 'zombie-factory', args: ['10'], reports: 21, stop: kill, expect: killed },
  { name: 'subreaper-orphans 3', fixture: 'subreaper-orphans', args: ['3'], reports: 7, stop: kill, expect: killed },
  { name: 'self-stop', fixture: 'self-stop', reports: 2, stop: kill, expect: killed },
  { name: 'threads 4', fixture: 'threads', args: ['4'], reports: 2, stop: kill, expect: killed },
  { name: 'reexec 3', fixture: 'reexec', args: ['3'], reports: 4, stop: kill, expect: killed },
  {
    // No report count to wait for: the timeout may fire first, and that is fine; what matters
    // is that whatever was reported is gone. ignore-term makes the timeout escalate to SIGKILL.
    name: 'timeout then killAfter',
    fixture: 'ignore-term',
    reports: 0,
    options: { timeout: 300, killAfter: 100 },
    stop: (tree) => tree.done,
    expect: (r) => r.timedOut && r.signal === 'SIGKILL',
  },
];

// A promise that never settles would end the process with no verdict (exit 13): fail instead.
async function hangGuard<T>(promise: Promise<T>, what: string, bound = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what} (hang guard: ${bound} ms)`)), bound);
  });
  try {
    return await Promise.race([promise, hung]);
  } finally {
    clearTimeout(timer);
  }
}

async function runScenario(s: Scenario): Promise<ScenarioVerdict> {
  const report = reportFile();
  let tree: Tree | undefined;
  let finished = false;
  try {
    const env = { ...process.env, ...s.env, CORRAL_TEST_REPORT: report.path };
    tree = await spawn(fixture(s.fixture), s.args ?? [], { stdio: 'ignore', ...s.options, env });
    await waitFor(() => readReport(report.path).length >= s.reports, { what: `${s.reports} reports from ${s.name}` });
    const result = await hangGuard(s.stop(tree), `${s.name} to stop`);
    finished = true;
    const reported = unique(readReport(report.path));
    const left = survivors(reported); // right after kill()/done resolved: the contract, no waiting
    return {
      name: s.name,
      ok: left.length === 0 && s.expect(result),
      reported: reported.length,
      survivors: left,
      result: {
        exitCode: result.exitCode,
        signal: result.signal,
        killed: result.killed,
        timedOut: result.timedOut,
        leftovers: result.leftovers,
        durationMs: result.durationMs,
        processes: result.totals.processes,
      },
    };
  } catch (error) {
    const reported = unique(readReport(report.path));
    return { name: s.name, ok: false, reported: reported.length, survivors: survivors(reported), error: String(error) };
  } finally {
    if (tree && !finished) await hangGuard(tree.kill('SIGKILL'), `${s.name} to die`).catch(() => undefined);
    await safeCleanup(readReport(report.path)); // backstop; a pass left nothing for it
    report.cleanup();
  }
}

/** The tree dies with its controller: a node process holding it is SIGKILLed. */
async function controllerDeath(name: string, file: string, args: string[], reports: number): Promise<ScenarioVerdict> {
  const report = reportFile();
  const controllerScript = fileURLToPath(new URL('./controller.js', import.meta.url));
  const controller = spawnChild(process.execPath, [controllerScript, fixture(file), ...args], {
    stdio: 'ignore',
    env: { ...process.env, CORRAL_TEST_REPORT: report.path },
  });
  try {
    await waitFor(() => readReport(report.path).length >= reports, { what: `${reports} reports from ${name}` });
    controller.kill('SIGKILL'); // our own unreaped child
    const reported = unique(readReport(report.path));
    await waitFor(() => survivors(reported).length === 0, { what: `${name} to die with its controller` }).catch(
      () => {},
    );
    const left = survivors(reported);
    return { name, ok: left.length === 0, reported: reported.length, survivors: left };
  } catch (error) {
    const reported = unique(readReport(report.path));
    return { name, ok: false, reported: reported.length, survivors: survivors(reported), error: String(error) };
  } finally {
    controller.kill('SIGKILL');
    await safeCleanup(readReport(report.path));
    report.cleanup();
  }
}

async function main(): Promise<void> {
  const verdicts: ScenarioVerdict[] = [];
  for (const s of scenarios) verdicts.push(await runScenario(s));
  verdicts.push(await controllerDeath('controller SIGKILLed: double-fork', 'double-fork', [], 3));
  verdicts.push(await controllerDeath('controller SIGKILLed: new-session', 'new-session', [], 2));
  verdicts.push(await controllerDeath('controller SIGKILLed: chain 20', 'chain', ['20'], 20));
  // The storm's limit counts every task of this uid, so it runs alone, after the others.
  verdicts.push(
    await withPidsLimit(64, (limit) =>
      runScenario({
        name: `fork-storm under ${limit.kind}`,
        fixture: 'fork-storm',
        reports: 20,
        env: limit.env,
        stop: (tree) => tree.kill('SIGKILL'),
        expect: killed,
      }),
    ),
  );
  const ok = verdicts.every((v) => v.ok);
  process.stdout.write(`${JSON.stringify({ uid: process.getuid?.(), ok, scenarios: verdicts })}\n`);
  process.exitCode = ok ? 0 : 1;
}

await main();
