// The supervisor as a library, with ProjectConfig objects built directly: restart policy and
// backoff, readiness before dependents, stop order, SIGKILL after the grace, scale, exit-on-exit.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { collectStatus } from '../../dist/up/supervisor/status.js';
import { Supervisor } from '../../dist/up/supervisor/supervisor.js';
import type { ServiceConfig } from '../../dist/up/types.js';
import { bounded, expectAllGone, fixture, readReport, reportFile, safeCleanup, waitFor } from '../helpers/index.js';
import { freePort, killProjectTrees, projectOf, projectTrees, service } from './project.js';

let projects = 0;

interface Run {
  supervisor: Supervisor;
  events: string[];
  lines: string[];
  dir: string;
  /** Lines of the file `name` in the run's directory (where the services record what they did). */
  read(name: string): string[];
}

/** A supervisor over `services`, finishing once settled; stopped, killed and cleaned after the test. */
function supervise(
  t: TestContext,
  make: (dir: string) => ServiceConfig[],
  options: { exitOnExit?: boolean } = {},
): Run {
  const dir = mkdtempSync(join(tmpdir(), 'corral-sup-'));
  const name = `sup-${process.pid}-${++projects}`;
  const events: string[] = [];
  const lines: string[] = [];
  const supervisor = new Supervisor(projectOf(name, make(dir)), {
    onEvent: (m) => events.push(m),
    onLine: (service, line) => lines.push(`${service}|${line}`),
    exitWhenSettled: true,
    exitOnExit: options.exitOnExit ?? false,
  });
  t.after(async () => {
    supervisor.killAll();
    await bounded(supervisor.stopAll(), 10_000, 'the clean-up stop').catch(() => {});
    await killProjectTrees(name);
    rmSync(dir, { recursive: true, force: true });
  });
  const read = (file: string): string[] => {
    try {
      return readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  return { supervisor, events, lines, dir, read };
}

const node = process.execPath;

test('a crashing service is restarted with doubling delays, then given up on; status says why', async (t) => {
  const run = supervise(t, (dir) => [
    service('crash', ['sh', '-c', `echo run >> ${dir}/runs; echo crashing; exit 1`], {
      restart: 'on-failure',
      backoff: { initialMs: 20, maxDelayMs: 1000, maxRestarts: 3, windowMs: 60_000 },
    }),
  ]);
  await run.supervisor.start();
  assert.equal(await bounded(run.supervisor.finished, 20_000, 'the supervisor to give up'), 1);
  assert.deepEqual(
    run.events.map((e) => e.replace(/pid \d+/, 'pid PID')),
    [
      'crash: started (pid PID)',
      'crash: exited 1; restarting in 20ms',
      'crash: started (pid PID)',
      'crash: exited 1; restarting in 40ms',
      'crash: started (pid PID)',
      'crash: exited 1; restarting in 80ms',
      'crash: started (pid PID)',
      'crash: exited 1 four times in 60s; not restarting',
    ],
  );
  assert.equal(run.read('runs').length, 4);
  assert.equal(run.lines.filter((l) => l === 'crash|crashing').length, 4);
  const [status] = collectStatus(run.supervisor);
  assert.equal(status?.state, 'failed');
  assert.equal(status?.restarts, 3);
  assert.equal(status?.reason, 'exited 1 four times in 60s; not restarting');
  assert.deepEqual(status?.lastExit, { exitCode: 1, signal: null });
});

/** db listens on `port` after a while; app records whether it could connect when it started. */
function dbAndApp(dir: string, port: number, ready: ServiceConfig['ready']): ServiceConfig[] {
  const record = (what: string): string =>
    `require('fs').appendFileSync(${JSON.stringify(join(dir, 'order'))}, ${JSON.stringify(`${what}\n`)})`;
  const db = `setTimeout(() => require('net').createServer(() => {}).listen(${port}, '127.0.0.1', () => ${record('db listening')}), 1000)`;
  const app = `${record('app started')}; require('net').connect(${port}, '127.0.0.1').on('connect', () => ${record('app connected')}).on('error', () => ${record('app refused')}); setInterval(() => {}, 1000)`;
  return [service('db', [node, '-e', db], { ready }), service('app', [node, '-e', app], { dependsOn: ['db'] })];
}

test('depends_on + ready port: the dependent starts only once the port accepts connections', async (t) => {
  const port = await freePort();
  const run = supervise(t, (dir) => dbAndApp(dir, port, { kind: 'port', port, host: '127.0.0.1', timeoutMs: 60_000 }));
  await bounded(run.supervisor.start(), 20_000, 'the start');
  await waitFor(() => run.read('order').length === 3, { what: 'app to connect' });
  assert.deepEqual(run.read('order'), ['db listening', 'app started', 'app connected']);
  assert.ok(
    run.events.includes(
      `db: started (pid ${collectStatus(run.supervisor, ['db'])[0]?.pid}); waiting for port 127.0.0.1:${port}`,
    ),
  );
  await bounded(run.supervisor.stopAll(), 20_000, 'the stop');
  assert.deepEqual(projectTrees(run.supervisor.project.project), []);
});

test('negative control: without the readiness check, the same dependent starts too early and is refused', async (t) => {
  const port = await freePort();
  const run = supervise(t, (dir) => dbAndApp(dir, port, null));
  await bounded(run.supervisor.start(), 20_000, 'the start');
  await waitFor(() => run.read('order').length === 3, { what: 'db to listen' });
  assert.deepEqual(run.read('order'), ['app started', 'app refused', 'db listening']);
});

test('ready log and ready command: dependents wait for the line, and for the command to exit 0', async (t) => {
  const run = supervise(t, (dir) => [
    service(
      'logger',
      ['sh', '-c', `sleep 0.3; echo booting; echo "now ready to serve"; echo logger >> ${dir}/order; exec sleep 100`],
      {
        ready: { kind: 'log', pattern: 'ready to serve', timeoutMs: 60_000 },
      },
    ),
    service('maker', ['sh', '-c', `sleep 0.3; echo maker >> ${dir}/order; touch ${dir}/made; exec sleep 100`], {
      ready: { kind: 'command', argv: ['test', '-e', join(dir, 'made')], intervalMs: 50, timeoutMs: 60_000 },
    }),
    service('user', ['sh', '-c', `echo user >> ${dir}/order; exec sleep 100`], { dependsOn: ['logger', 'maker'] }),
  ]);
  await bounded(run.supervisor.start(), 20_000, 'the start');
  await waitFor(() => run.read('order').includes('user'), { what: 'user to start' });
  assert.deepEqual(run.read('order').at(-1), 'user');
  assert.deepEqual(
    collectStatus(run.supervisor).map((s) => s.state),
    ['running', 'running', 'running'],
  );
});

test('ready timeout: a service never ready is stopped, counted as a failure (restarted, then given up on); its dependent never starts', async (t) => {
  const port = await freePort(); // nobody listens on it
  const run = supervise(t, (dir) => [
    service('never', ['sh', '-c', `echo run >> ${dir}/runs; exec sleep 100`], {
      ready: { kind: 'port', port, host: '127.0.0.1', timeoutMs: 300 },
      restart: 'on-failure',
      backoff: { initialMs: 20, maxDelayMs: 20, maxRestarts: 1, windowMs: 60_000 },
      stopGraceMs: 2000,
    }),
    service('after', ['sh', '-c', `echo after >> ${dir}/runs; exec sleep 100`], { dependsOn: ['never'] }),
  ]);
  await run.supervisor.start();
  assert.equal(await bounded(run.supervisor.finished, 20_000, 'the supervisor to give up'), 1);
  const notReady = `not ready within 300ms (waiting for port 127.0.0.1:${port})`;
  assert.deepEqual(
    run.events.filter((e) => e.startsWith('never:')).map((e) => e.replace(/pid \d+/, 'pid PID')),
    [
      `never: started (pid PID); waiting for port 127.0.0.1:${port}`,
      `never: ${notReady}; stopping it`,
      `never: ${notReady}; restarting in 20ms`,
      `never: started (pid PID); waiting for port 127.0.0.1:${port}`,
      `never: ${notReady}; stopping it`,
      `never: ${notReady} twice in 60s; not restarting`,
    ],
  );
  assert.deepEqual(run.read('runs'), ['run', 'run'], 'its dependent never started');
  const [never, after] = collectStatus(run.supervisor);
  assert.equal(never?.state, 'failed');
  assert.equal(never?.lastExit?.notReady, notReady);
  assert.equal(after?.state, 'waiting');
  assert.deepEqual(projectTrees(run.supervisor.project.project), [], 'no tree is left');
});

test('ready timeout with --exit-on-exit: a not-ready service that exits 0 on SIGTERM is still a failure, status 1', async (t) => {
  const port = await freePort();
  const run = supervise(
    t,
    () => [
      service('never', ['sh', '-c', "trap 'exit 0' TERM; while :; do sleep 0.05; done"], {
        ready: { kind: 'port', port, host: '127.0.0.1', timeoutMs: 300 },
      }),
    ],
    { exitOnExit: true },
  );
  await run.supervisor.start();
  assert.equal(await bounded(run.supervisor.finished, 20_000, 'the supervisor to finish'), 1);
  const [never] = collectStatus(run.supervisor);
  assert.equal(never?.state, 'failed');
  assert.match(never?.reason ?? '', /^not ready within 300ms/);
});

test('a service that dies before its ready timeout is reported by its own exit, not as not ready', async (t) => {
  const run = supervise(t, (dir) => [
    service('early', ['sh', '-c', 'sleep 0.2; exit 1'], {
      // A command probe winds down only after its interval: the timeout must not fire meanwhile.
      ready: { kind: 'command', argv: ['test', '-e', join(dir, 'never')], intervalMs: 3000, timeoutMs: 1000 },
    }),
  ]);
  await run.supervisor.start();
  assert.equal(await bounded(run.supervisor.finished, 20_000, 'the supervisor to finish'), 1);
  const [early] = collectStatus(run.supervisor);
  assert.equal(early?.state, 'failed');
  assert.equal(early?.reason, 'exited 1; restart: no');
  assert.deepEqual(early?.lastExit, { exitCode: 1, signal: null });
  assert.ok(!run.events.some((e) => e.includes('not ready')), run.events.join('\n'));
});

test('stopAll stops dependents before their dependencies, and resolves once every tree is empty', async (t) => {
  const trapped = (name: string, dir: string): string =>
    `trap 'echo ${name} stopping >> ${dir}/order; sleep 0.3; echo ${name} stopped >> ${dir}/order; exit 0' TERM; echo ${name} up >> ${dir}/order; while :; do sleep 0.05; done`;
  const run = supervise(t, (dir) => [
    service('db', ['sh', '-c', trapped('db', dir)]),
    service('app', ['sh', '-c', trapped('app', dir)], { dependsOn: ['db'] }),
  ]);
  await run.supervisor.start();
  await waitFor(() => run.read('order').length === 2, { what: 'both up' });
  await bounded(run.supervisor.stopAll(), 20_000, 'the stop');
  assert.deepEqual(run.read('order').slice(2), ['app stopping', 'app stopped', 'db stopping', 'db stopped']);
  assert.equal(await run.supervisor.finished, 0);
  assert.deepEqual(projectTrees(run.supervisor.project.project), []);
});

test('stop(): a tree that ignores SIGTERM is SIGKILLed after the stop grace, every member gone', async (t) => {
  const report = reportFile();
  t.after(async () => {
    await safeCleanup(readReport(report.path));
    report.cleanup();
  });
  const run = supervise(t, () => [
    service('stubborn', [fixture('ignore-term')], {
      stopGraceMs: 300,
      env: { ...(process.env as Record<string, string>), CORRAL_TEST_REPORT: report.path },
    }),
  ]);
  await run.supervisor.start();
  const procs = await waitFor(() => readReport(report.path).length >= 2 && readReport(report.path), {
    what: '2 reports',
  });
  await bounded(run.supervisor.stop(['stubborn']), 10_000, 'the stop');
  expectAllGone(procs, 'the stubborn tree');
  assert.deepEqual(collectStatus(run.supervisor)[0]?.state, 'stopped');
  assert.equal(collectStatus(run.supervisor)[0]?.lastExit?.signal, 'SIGKILL');
});

test('scale: each copy is a corral of its own, <project>/<service>.<n>, told its number', async (t) => {
  const run = supervise(t, (dir) => [
    service('worker', ['sh', '-c', `echo $CORRAL_SERVICE.$CORRAL_INSTANCE >> ${dir}/order; exec sleep 100`], {
      scale: 2,
    }),
  ]);
  await run.supervisor.start();
  await waitFor(() => run.read('order').length === 2, { what: 'two copies' });
  assert.deepEqual(run.read('order').sort(), ['worker.1', 'worker.2']);
  const project = run.supervisor.project.project;
  assert.deepEqual(
    projectTrees(project)
      .map((c) => c.name)
      .sort(),
    [`${project}/worker.1`, `${project}/worker.2`],
  );
  await run.supervisor.stop(['worker.2']);
  assert.deepEqual(
    collectStatus(run.supervisor).map((s) => `${s.service} ${s.state}`),
    ['worker.1 running', 'worker.2 stopped'],
  );
});

test('exit-on-exit: the first service to exit stops everything, and its status is the status', async (t) => {
  const run = supervise(
    t,
    () => [
      service('long', ['sleep', '100']),
      service('short', ['sh', '-c', 'sleep 0.2; exit 7'], { restart: 'always' }),
    ],
    { exitOnExit: true },
  );
  await run.supervisor.start();
  assert.equal(await bounded(run.supervisor.finished, 20_000, 'the finish'), 7);
  assert.deepEqual(
    collectStatus(run.supervisor).map((s) => `${s.service} ${s.state}`),
    ['long stopped', 'short failed'],
  );
});

test('a service that cannot start is failed at once, with the reason, and blocks its dependents', async (t) => {
  const run = supervise(t, () => [
    service('ghost', ['no-such-command-xyz']),
    service('after', ['sleep', '100'], { dependsOn: ['ghost'] }),
  ]);
  await bounded(run.supervisor.start(), 10_000, 'the start');
  assert.equal(await bounded(run.supervisor.finished, 10_000, 'the finish'), 1);
  const [ghost, after] = collectStatus(run.supervisor);
  assert.equal(ghost?.state, 'failed');
  assert.match(ghost?.reason ?? '', /^could not start: .*no-such-command-xyz/);
  assert.equal(after?.state, 'waiting');
  assert.equal(after?.reason, 'waiting for ghost (failed)');
});
