// corral up / status / logs / down from a shell's point of view, with real programs: a Node HTTP
// server behind `npm run` (npm → sh → node), a worker that double-forks a daemon, a service that
// ignores SIGTERM. Stop means stopped: after down (or a SIGKILLed supervisor) no process is left.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { ownerOf } from '../../dist/index.js';
import { connects } from '../../dist/up/supervisor/readiness.js';
import {
  fixture,
  killVerified,
  type Proc,
  procState,
  readReport,
  reportFile,
  safeCleanup,
  survivors,
  waitFor,
} from '../helpers/index.js';
import { canBind, corral, freePort, projectTrees, type TestProject, tmpProject } from './project.js';

/** A project with a report file for its fixtures; reported processes are checked and killed after the test. */
function reportedProject(t: TestContext): { project: TestProject; report: string } {
  const report = reportFile();
  const project = tmpProject(t, { CORRAL_TEST_REPORT: report.path, npm_config_update_notifier: 'false' });
  t.after(async () => {
    await safeCleanup(readReport(report.path));
    report.cleanup();
  });
  return { project, report: report.path };
}

function writeProcfile(project: TestProject, lines: string[]): void {
  writeFileSync(join(project.dir, 'Procfile'), `${lines.join('\n')}\n`);
}

/** A Node HTTP server started through `npm run start`. */
function writeWebApp(project: TestProject): void {
  writeFileSync(
    join(project.dir, 'package.json'),
    JSON.stringify({ name: 'web', private: true, scripts: { start: 'node server.js' } }),
  );
  writeFileSync(
    join(project.dir, 'server.js'),
    `require('node:http').createServer((q, r) => r.end('ok')).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on ' + process.env.PORT));\n`,
  );
}

interface StatusJson {
  supervisor: { pid: number; start: number; socket: string };
  services: { service: string; state: string; pid: number | null; processes: number; reason: string | null }[];
}

async function statusJson(project: TestProject): Promise<StatusJson> {
  const run = await corral(project, ['status', '--json']);
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as StatusJson;
}

/** The daemon, named by pid and start time so that the clean-up can never hit a reused pid. */
async function supervisorOf(project: TestProject): Promise<Proc> {
  const { supervisor } = await statusJson(project);
  const proc = { pid: supervisor.pid, start: supervisor.start };
  project.procs.push(proc);
  return proc;
}

test('up -d starts an npm-run server, a double-forking worker and a TERM-ignoring service; down leaves nothing', async (t) => {
  const { project, report } = reportedProject(t);
  const port = await freePort();
  writeWebApp(project);
  writeProcfile(project, [
    `web: PORT=${port} npm run start`,
    `worker: exec ${fixture('double-fork')}`,
    `stubborn: exec ${fixture('ignore-term')}`,
  ]);
  const up = await corral(project, ['up', '-d']);
  assert.equal(up.status, 0, up.stderr);
  assert.match(up.stdout, new RegExp(`^corral: project ${project.name} is up: supervisor pid \\d+$`, 'm'));
  assert.match(up.stdout, new RegExp(`^socket: ${project.runtime}/corral/${project.name}-[0-9a-f]{12}\\.sock$`, 'm'));
  const supervisor = await supervisorOf(project);

  const again = await corral(project, ['up', '-d']);
  assert.equal(again.status, 3);
  assert.match(
    again.stderr,
    new RegExp(`^corral: project ${project.name} already has a supervisor \\(pid ${supervisor.pid}\\)`),
  );

  await waitFor(() => connects('127.0.0.1', port), { bound: 30_000, what: 'the web server to listen' });
  const procs = await waitFor(() => readReport(report).length >= 5 && readReport(report), { what: '5 reports' });
  const status = await statusJson(project);
  assert.deepEqual(
    status.services.map((s) => `${s.service} ${s.state}`),
    ['web running', 'worker running', 'stubborn running'],
  );
  assert.ok((status.services[0]?.processes ?? 0) >= 3, 'web is npm, sh and node at least');
  // The daemon the worker double-forked (setsid, orphaned) still names its service.
  const workerMain = status.services[1]?.pid;
  const daemon = procs.find((p) => p.pid !== workerMain && ownerOf(p.pid)?.corral.name === `${project.name}/worker`);
  assert.equal(ownerOf(daemon?.pid ?? 0)?.corral.name, `${project.name}/worker`);
  const which = await corral(project, ['which', String(daemon?.pid)]);
  assert.match(which.stdout, new RegExp(`${project.name}/worker`));

  const logs = await corral(project, ['logs', 'web']);
  assert.match(logs.stdout, new RegExp(`^web \\| listening on ${port}$`, 'm'));

  const down = await corral(project, ['down']);
  assert.equal(down.status, 0, down.stderr);
  assert.equal(down.stdout, `corral: project ${project.name} is down\n`);
  assert.deepEqual(survivors(procs), [], 'every reported process is gone');
  assert.deepEqual(projectTrees(project.name), [], 'no corral of the project is left');
  assert.ok([null, 'Z'].includes(procState(supervisor)), 'the supervisor has exited');
  assert.equal(existsSync(status.supervisor.socket), false, 'the socket is removed');
  assert.equal(await canBind(port), true, 'the port is free');
});

test('a SIGKILLed supervisor takes every service tree with it, double-forked daemons included', async (t) => {
  const { project, report } = reportedProject(t);
  writeProcfile(project, [`worker: exec ${fixture('double-fork')}`, 'sleeper: sleep 100']);
  const up = await corral(project, ['up', '-d']);
  assert.equal(up.status, 0, up.stderr);
  const supervisor = await supervisorOf(project);
  const procs = await waitFor(() => readReport(report).length >= 3 && readReport(report), { what: '3 reports' });
  assert.equal(projectTrees(project.name).length, 2);

  assert.deepEqual(killVerified([supervisor]), [supervisor], 'the supervisor was SIGKILLed');
  await waitFor(() => survivors(procs).length === 0 && projectTrees(project.name).length === 0, {
    what: 'every tree of the project to be gone',
  });

  // Its socket is left behind, but nobody listens: status says so, and a new up replaces it.
  const status = await corral(project, ['status']);
  assert.equal(status.status, 1);
  assert.match(status.stderr, new RegExp(`^corral: no supervisor is running for project ${project.name} `));
  const upAgain = await corral(project, ['up', '-d']);
  assert.equal(upAgain.status, 0, upAgain.stderr);
  const second = await supervisorOf(project);
  // One supervisor per project: a third up, detached or not, is refused with its pid; nothing starts.
  for (const args of [['up', '-d'], ['up']]) {
    const refused = await corral(project, args);
    assert.equal(refused.status, 3, refused.stderr);
    assert.match(
      refused.stderr,
      new RegExp(
        `^corral: project ${project.name} already has a supervisor \\(pid ${second.pid}\\) on \\S+\nhint: use 'corral status', or 'corral down' to stop it first\n$`,
      ),
    );
  }
  assert.equal(projectTrees(project.name).length, 2, 'still the two trees of the running supervisor');
  assert.equal((await corral(project, ['down'])).status, 0);
});

/** Writes `count` lines of `name:i:xxx…` in odd-sized chunks (cutting lines anywhere), then a partial line. */
const emitter = `
const [name, count] = process.argv.slice(2);
let text = '';
for (let i = 0; i < Number(count); i++) text += name + ':' + i + ':' + 'x'.repeat(3000) + '\\n';
text += name + ':partial';
let at = 0;
const step = () => {
  if (at >= text.length) return setInterval(() => {}, 1000);
  const size = 1 + ((at * 7919) % 4093);
  process.stdout.write(text.slice(at, at + size), step);
  at += size;
};
step();
`;

test('foreground up: every line whole and prefixed, partial last lines flushed; SIGTERM stops all, status 0', async (t) => {
  const project = tmpProject(t);
  writeFileSync(join(project.dir, 'emit.js'), emitter);
  writeProcfile(project, ['a: node emit.js a 200', 'bb: node emit.js bb 200']);
  let child: ChildProcess | undefined;
  let seen = '';
  const running = corral(project, ['up'], {
    onStart: (c) => {
      child = c;
      c.stdout?.on('data', (d) => (seen += d));
    },
  });
  await waitFor(() => (seen.match(/:x{3000}\n/g)?.length ?? 0) === 400, { bound: 30_000, what: '400 lines' });
  child?.kill('SIGTERM'); // our own child, not yet reaped: its pid is its own
  const run = await running;
  assert.equal(run.status, 0, run.stderr);
  const lines = run.stdout.split('\n');
  assert.equal(lines.pop(), '', 'the output ends with a newline');
  const counts: Record<string, number> = {};
  for (const line of lines) {
    const m = /^(a |bb) \| (a|bb):(\d+:x{3000}|partial)$/.exec(line);
    assert.ok(m, `a whole, prefixed line: ${line.slice(0, 80)}…`);
    assert.equal(m[1]?.trim(), m[2], 'the prefix names the service that wrote the line');
    counts[line.slice(0, 2)] = (counts[line.slice(0, 2)] ?? 0) + 1;
  }
  assert.deepEqual(counts, { 'a ': 201, bb: 201 });
  assert.ok(lines.includes('a  | a:partial') && lines.includes('bb | bb:partial'));
  assert.match(run.stderr, /^corral: SIGTERM: stopping every service/m);
  assert.deepEqual(projectTrees(project.name), []);
});

test('foreground up: a second SIGINT kills every tree at once, TERM-ignoring ones included', async (t) => {
  const { project, report } = reportedProject(t);
  writeProcfile(project, [`stubborn: exec ${fixture('ignore-term')}`]);
  let child: ChildProcess | undefined;
  let errors = '';
  const running = corral(project, ['up'], {
    onStart: (c) => {
      child = c;
      c.stderr?.on('data', (d) => (errors += d));
    },
  });
  const procs = await waitFor(() => readReport(report).length >= 2 && readReport(report), { what: '2 reports' });
  child?.kill('SIGINT');
  await waitFor(() => errors.includes('SIGINT: stopping every service'), { what: 'the graceful stop' });
  assert.equal(survivors(procs).length, 2, 'SIGTERM is ignored: the grace (5 s) runs');
  child?.kill('SIGINT');
  const run = await running;
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /^corral: SIGINT again: killing every tree$/m);
  assert.deepEqual(survivors(procs), []);
});

test('a config error is one corral: line with a hint, status 2, and nothing starts', async (t) => {
  const project = tmpProject(t);
  writeProcfile(project, ['web: sleep 100', 'this is not a service line']);
  const run = await corral(project, ['up']);
  assert.equal(run.status, 2);
  const lines = run.stderr.trimEnd().split('\n');
  assert.match(lines[0] ?? '', /^corral: \S*Procfile:2(:\d+)?: /);
  assert.match(lines[1] ?? '', /^hint: /);
  assert.equal(lines.length, 2);
  assert.deepEqual(projectTrees(project.name), []);
  assert.equal(existsSync(join(project.runtime, 'corral')), false, 'not even the runtime directory');
});

test('control commands without a supervisor: one clear line and status 1; an unknown service is status 2', async (t) => {
  const project = tmpProject(t);
  writeProcfile(project, ['web: sleep 100']);
  for (const args of [['status'], ['stop', 'web'], ['start', 'web'], ['restart', 'web'], ['down'], ['logs', '-f']]) {
    const run = await corral(project, args);
    assert.equal(run.status, 1, args.join(' '));
    assert.equal(
      run.stderr.split('\n')[0],
      `corral: no supervisor is running for project ${project.name} (no one answers on ${project.runtime}/corral/${project.name}-${/-([0-9a-f]{12})\.sock/.exec(run.stderr)?.[1]}.sock)`,
    );
    assert.equal(run.stderr.split('\n')[1], "hint: start one with 'corral up -d'");
  }
  const logs = await corral(project, ['logs']);
  assert.equal(logs.status, 0, 'logs without -f reads what is on disk (nothing yet)');
  const unknown = await corral(project, ['up', 'nosuch']);
  assert.equal(unknown.status, 2);
  assert.equal(unknown.stderr, "corral: no service 'nosuch' in this project\nhint: services: web\n");
});
