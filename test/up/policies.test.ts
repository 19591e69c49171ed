// corral.yaml end to end: restarts with backoff and a limit that status explains, depends_on with
// a port readiness check (recorded by the services themselves), stop/start of one service, and
// --exit-on-exit's status.
import assert from 'node:assert/strict';
import { type ChildProcess, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { locateReaper } from '../../dist/reaper/locate.js';
import { fixture, readStat, waitFor } from '../helpers/index.js';
import {
  canBind,
  corral,
  corralBin,
  freePort,
  projectTrees,
  runCommand,
  type TestProject,
  tmpProject,
} from './project.js';

function writeYaml(project: TestProject, text: string): void {
  writeFileSync(join(project.dir, 'corral.yaml'), text);
}

function lines(project: TestProject, file: string): string[] {
  try {
    return readFileSync(join(project.dir, file), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

interface Row {
  service: string;
  state: string;
  restarts: number;
  reason: string | null;
}

async function rows(project: TestProject): Promise<Row[]> {
  const run = await corral(project, ['status', '--json']);
  assert.equal(run.status, 0, run.stderr);
  const status = JSON.parse(run.stdout) as { supervisor: { pid: number; start: number }; services: Row[] };
  project.procs.push({ pid: status.supervisor.pid, start: status.supervisor.start });
  return status.services;
}

test('a crashing service is restarted with backoff, then given up on; status and logs say why', async (t) => {
  const project = tmpProject(t);
  writeYaml(
    project,
    `services:
  crash:
    command: echo crash; exit 1
    restart: on-failure
    backoff: { initial: 20ms, max: 1s, max_restarts: 3, window: 60s }
  keeper:
    command: [sleep, "100"]
`,
  );
  const up = await corral(project, ['up', '-d']);
  assert.equal(up.status, 0, up.stderr);
  const failed = await waitFor(async () => (await rows(project)).find((r) => r.state === 'failed'), {
    what: 'crash to be given up on',
  });
  assert.deepEqual(failed, {
    ...failed,
    service: 'crash',
    restarts: 3,
    reason: 'exited 1 four times in 60s; not restarting',
  });
  const table = await corral(project, ['status']);
  assert.match(table.stdout, /^crash +failed +- +0 +3 .* exited 1 four times in 60s; not restarting$/m);
  const logs = await corral(project, ['logs', 'crash']);
  assert.equal(logs.stdout, 'crash | crash\n'.repeat(4));

  const stop = await corral(project, ['stop', 'keeper']);
  assert.equal(stop.status, 0, stop.stderr);
  assert.match(stop.stdout, /^keeper +stopped /m);
  const start = await corral(project, ['start', 'keeper']);
  assert.match(start.stdout, /^keeper +running /m);
  assert.equal((await corral(project, ['down'])).status, 0);
  assert.deepEqual(projectTrees(project.name), []);
});

test('depends_on + ready port: the client starts only once the npm-run server accepts connections', async (t) => {
  const project = tmpProject(t, { npm_config_update_notifier: 'false' });
  const port = await freePort();
  const order = JSON.stringify(join(project.dir, 'order'));
  writeFileSync(
    join(project.dir, 'package.json'),
    JSON.stringify({ name: 'web', private: true, scripts: { start: 'node server.js' } }),
  );
  // The server takes its time, as a real one loading its routes would.
  writeFileSync(
    join(project.dir, 'server.js'),
    `setTimeout(() => require('node:http').createServer((q, r) => r.end('ok')).listen(${port}, '127.0.0.1', () => require('node:fs').appendFileSync(${order}, 'server listening\\n')), 500);\n`,
  );
  writeFileSync(
    join(project.dir, 'client.js'),
    `const fs = require('node:fs');
fs.appendFileSync(${order}, 'client started\\n');
require('node:net').connect(${port}, '127.0.0.1')
  .on('connect', () => fs.appendFileSync(${order}, 'client connected\\n'))
  .on('error', () => fs.appendFileSync(${order}, 'client refused\\n'));
setInterval(() => {}, 1000);
`,
  );
  writeYaml(
    project,
    `services:
  client:
    command: node client.js
    depends_on: [web]
  web:
    command: npm run start
    ready: { port: ${port} }
    stop_grace: 2s
`,
  );
  const up = await corral(project, ['up', '-d']);
  assert.equal(up.status, 0, up.stderr);
  assert.match(up.stdout, /^web +running /m);
  assert.match(up.stdout, /^client +running /m);
  await waitFor(() => lines(project, 'order').length === 3, { what: 'the client to connect' });
  assert.deepEqual(lines(project, 'order'), ['server listening', 'client started', 'client connected']);
  assert.equal((await corral(project, ['down'])).status, 0);
  assert.deepEqual(projectTrees(project.name), []);
  assert.equal(await canBind(port), true, 'the port is free');
});

test('up --exit-on-exit stops everything when one service exits, with its status', async (t) => {
  const project = tmpProject(t);
  writeYaml(
    project,
    `services:
  long:
    command: [sleep, "100"]
  short:
    command: sleep 0.2; exit 5
`,
  );
  const run = await corral(project, ['up', '--exit-on-exit']);
  assert.equal(run.status, 5, run.stderr);
  assert.match(run.stderr, /^corral: short: exited 5; stopping everything \(--exit-on-exit\)$/m);
  assert.match(run.stderr, /^corral: long: stopped$/m);
  assert.deepEqual(projectTrees(project.name), []);
});

test('up exits 1 once a service failed for good and nothing else runs, 0 when every service exited 0', async (t) => {
  const project = tmpProject(t);
  writeYaml(project, 'services:\n  a: { command: "exit 0" }\n  b: { command: "exit 3" }\n');
  const failed = await corral(project, ['up']);
  assert.equal(failed.status, 1, failed.stderr);
  assert.match(failed.stderr, /^corral: b: exited 3; restart: no$/m);
  writeYaml(project, 'services:\n  a: { command: "exit 0" }\n  b: { command: "echo done" }\n');
  const done = await corral(project, ['up']);
  assert.equal(done.status, 0, done.stderr);
  assert.equal(done.stdout, 'b | done\n');
});

test('as PID 1 of a pid namespace: bin/corral runs up under the init reaper; SIGTERM stops every service in order, status 0', async (t) => {
  if (process.geteuid?.() !== 0 || spawnSync('unshare', ['--version']).status !== 0) {
    t.skip('needs root and util-linux unshare for a pid namespace');
    return;
  }
  const project = tmpProject(t);
  writeYaml(
    project,
    `services:
  worker:
    command: exec ${fixture('double-fork')}
  calm:
    command: [sleep, "100"]
    depends_on: [worker]
`,
  );
  let unshare: ChildProcess | undefined;
  let errors = '';
  // --kill-child: should the test die first, the namespace's init (and so all in it) dies too.
  const running = runCommand(project, 'unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', corralBin, 'up'], {
    onStart: (c) => {
      unshare = c;
      c.stderr?.on('data', (d) => (errors += d));
    },
  });
  await waitFor(() => errors.includes('calm: started'), { what: 'both services to start' });
  // unshare is our unreaped child, so its one child's pid is pinned; the start time proves it anyway.
  const pid = Number(readFileSync(`/proc/${unshare?.pid}/task/${unshare?.pid}/children`, 'utf8').trim());
  const start = readStat(pid)?.start;
  assert.equal(readFileSync(`/proc/${pid}/comm`, 'utf8'), 'corral-reaper\n', 'PID 1 is the init reaper, not Node');
  const signalled = spawnSync(locateReaper(), ['--signal', String(pid), String(start), '15']);
  assert.equal(signalled.status, 0, 'SIGTERM to the namespace init, through a pidfd: it passes it to the supervisor');
  const run = await running;
  assert.equal(run.status, 0, run.stderr);
  assert.doesNotMatch(run.stderr, /running as PID 1 without an init/);
  const events = run.stderr.split('\n').filter((l) => / stopped$/.test(l));
  assert.deepEqual(events, ['corral: calm: stopped', 'corral: worker: stopped'], 'dependents first');
});
