// 8. `corral up` as a service manager, next to pm2, in the same run: 100 `sleep 1000` services
// up (`corral up -d` vs `pm2 start`) and down (`corral down` vs `pm2 kill`), the supervisor's
// resident memory with them up, and the foreground multiplexer's log throughput (10 services ×
// 10k lines, read from `corral up`'s stdout pipe; pm2's log files as information).
// Everything runs in one private temporary directory: corral's XDG_RUNTIME_DIR (socket, logs)
// and pm2's PM2_HOME, so this bench only ever talks to its own supervisors and its own pm2 daemon.
import { spawn as spawnChild, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  alive,
  childrenOf,
  guard,
  killVerified,
  median,
  onCleanup,
  readStat,
  root,
  sleep,
  vmRssKiB,
  waitFor,
} from './lib.js';

const N = 100;
const REPS = 5;
const WARMUP = 1;
const SETTLE_MS = 1000; // before reading RSS: both daemons idle after answering a status request
const LOG_SERVICES = 10;
const LOG_LINES = 10_000;
const LOG_REPS = 3;
const LOG_TARGET = 100_000; // lines/s
const PER_SERVICE_KIB = 1024;
const CORRAL = join(root, 'bin', 'corral');
const PM2 = join(root, 'node_modules', 'pm2', 'bin', 'pm2');

const awkProgram = (i) => `BEGIN{for(i=0;i<${LOG_LINES};i++) print "svc ${i}", i}`;
const lingering = (i) => `awk '${awkProgram(i)}'; exec sleep 1000`;

/** Runs a CLI to its exit: { code, signal, stdout, stderr, ms } (ms from spawn to exit). */
function run(file, args, { cwd, env, bound = 60_000 }) {
  const start = performance.now();
  const child = spawnChild(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const done = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const ms = performance.now() - start;
      // A daemon that kept our pipe must not keep us waiting: at most 1 s for the rest of the output.
      const closed = new Promise((r) => child.on('close', r));
      Promise.race([closed, sleep(1000)]).then(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({ code, signal, stdout, stderr, ms });
      });
    });
  });
  return guard(done, bound, `${basename(file)} ${args.join(' ')}`);
}

function check(result, what) {
  if (result.code !== 0) {
    throw new Error(`${what} exited ${result.code ?? result.signal}: ${(result.stderr || result.stdout).slice(-2000)}`);
  }
  return result;
}

/** ms from `start` until every one of `procs` is gone or a zombie; throws after `bound` ms from now. */
async function goneAfter(procs, start, bound, what) {
  let i = 0; // before i: known dead, and dead stays dead
  const deadline = performance.now() + bound;
  for (;;) {
    while (i < procs.length && !alive(procs[i])) i++;
    if (i === procs.length) return performance.now() - start;
    if (performance.now() > deadline) throw new Error(`hang guard: ${what}: ${procs.length - i} still alive`);
    await sleep(2);
  }
}

const ident = ({ pid, start }) => ({ pid, start });

// ---- the private world ----------------------------------------------------------

function setUp() {
  const work = mkdtempSync(join(tmpdir(), 'corral-svcbench-'));
  const runtime = join(work, 'run');
  mkdirSync(runtime, { mode: 0o700 });
  const pm2Home = join(work, 'pm2');
  mkdirSync(pm2Home, { mode: 0o700 });
  const dirs = {
    up: join(work, 'up'),
    log: join(work, 'log'),
    logLinger: join(work, 'log-linger'),
    pm2: join(work, 'pm2-apps'),
    pm2Logs: join(work, 'pm2-logs'),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir);

  const service = (name, argv) => `  ${name}:\n    command: ${JSON.stringify(argv)}\n`;
  let yaml = 'name: svcbench-up\nservices:\n';
  for (let i = 1; i <= N; i++) yaml += service(`s${i}`, ['sleep', '1000']);
  writeFileSync(join(dirs.up, 'corral.yaml'), yaml);
  yaml = 'name: svcbench-log\nservices:\n';
  for (let i = 1; i <= LOG_SERVICES; i++) yaml += service(`s${i}`, ['awk', awkProgram(i)]);
  writeFileSync(join(dirs.log, 'corral.yaml'), yaml);
  yaml = 'name: svcbench-logl\nservices:\n';
  for (let i = 1; i <= LOG_SERVICES; i++) yaml += service(`s${i}`, ['sh', '-c', lingering(i)]);
  writeFileSync(join(dirs.logLinger, 'corral.yaml'), yaml);

  const apps = [];
  for (let i = 1; i <= N; i++) {
    apps.push({
      name: `s${i}`,
      script: 'sleep',
      args: '1000',
      interpreter: 'none',
      exec_mode: 'fork',
      autorestart: false,
    });
  }
  const ecosystem = join(dirs.pm2, 'ecosystem.config.cjs');
  writeFileSync(ecosystem, `module.exports = ${JSON.stringify({ apps }, null, 1)};\n`);

  const base = { ...process.env, NO_COLOR: '1' };
  for (const key of Object.keys(base)) if (key.startsWith('CORRAL_') || key.startsWith('PM2_')) delete base[key];
  return {
    work,
    dirs,
    ecosystem,
    pm2Home,
    corralEnv: { ...base, XDG_RUNTIME_DIR: runtime },
    pm2Env: { ...base, PM2_HOME: pm2Home },
    // everything ever started, for the clean-up: { pid, start } of supervisors, reapers, sleeps, daemons
    corralProcs: [],
    pm2Procs: [],
    logChild: null,
  };
}

/** Every live descendant of `procs` (children of our own daemons are ours), as { pid, start }. */
function descendants(procs) {
  const found = [];
  let level = procs.filter(alive);
  while (level.length > 0) {
    level = level.flatMap((p) => childrenOf(p.pid).map(readStat)).filter((s) => s && s.state !== 'Z');
    found.push(...level.map(ident));
  }
  return found;
}

/** Synchronous, for the signal path too: ask nicely, then SIGKILL exactly what we started. */
function tearDown(w) {
  const log = w.logChild?.child;
  if (log && log.exitCode === null && log.signalCode === null) {
    spawnSync(CORRAL, ['down'], { cwd: w.logChild.dir, env: w.corralEnv, stdio: 'ignore', timeout: 30_000 });
    if (log.exitCode === null) log.kill('SIGKILL'); // our own child, not yet reaped: its pid is still its own
  }
  if (w.corralProcs.some(alive)) {
    spawnSync(CORRAL, ['down'], { cwd: w.dirs.up, env: w.corralEnv, stdio: 'ignore', timeout: 30_000 });
  }
  const daemonFile = join(w.pm2Home, 'pm2.pid');
  if (existsSync(daemonFile)) {
    // Only with our PM2_HOME: this talks to our daemon and no other.
    spawnSync(PM2, ['kill'], { env: w.pm2Env, stdio: 'ignore', timeout: 30_000 });
  }
  const procs = [...w.corralProcs, ...w.pm2Procs].filter(alive);
  const unique = new Map([...procs, ...descendants(procs)].map((p) => [`${p.pid}:${p.start}`, p]));
  killVerified([...unique.values()].filter(alive));
  rmSync(w.work, { recursive: true, force: true });
}

// ---- 100 services: corral ----------------------------------------------------------

/** The supervisor's reapers and their `sleep` children, from /proc; null until all N are there. */
function corralTrees(supervisorPid) {
  const reapers = childrenOf(supervisorPid)
    .map(readStat)
    .filter((s) => s?.comm === 'corral-reaper');
  const sleeps = [];
  for (const reaper of reapers) {
    for (const kid of childrenOf(reaper.pid)) {
      const stat = readStat(kid);
      if (stat?.comm === 'sleep' && stat.state !== 'Z') sleeps.push(stat);
    }
  }
  return reapers.length === N && sleeps.length === N ? { reapers, sleeps } : null;
}

async function corralRound(w) {
  const opts = { cwd: w.dirs.up, env: w.corralEnv };
  const t0 = performance.now();
  const up = check(await run(CORRAL, ['up', '-d'], opts), 'corral up -d');
  const supervisorPid = Number(/supervisor pid (\d+)/.exec(up.stdout)?.[1]);
  const supervisor = readStat(supervisorPid);
  if (!supervisor) throw new Error(`corral up -d: no live supervisor in ${JSON.stringify(up.stdout.slice(0, 300))}`);
  w.corralProcs.push(ident(supervisor));
  const trees = await waitFor(() => corralTrees(supervisorPid), {
    bound: 10_000,
    interval: 2,
    what: `${N} corral services' sleep processes`,
  });
  const upMs = performance.now() - t0;
  w.corralProcs.push(...trees.reapers.map(ident), ...trees.sleeps.map(ident));

  // Off the clock: the supervisor agrees about every service.
  const status = JSON.parse(check(await run(CORRAL, ['status', '--json'], opts), 'corral status').stdout);
  const running = status.services.filter((s) => s.state === 'running');
  const pids = new Set(trees.sleeps.map((s) => s.pid));
  if (running.length !== N || !running.every((s) => pids.has(s.pid))) {
    throw new Error(`corral status: ${running.length} running, not the ${N} sleeps found in /proc`);
  }
  await sleep(SETTLE_MS);
  const supervisorKiB = vmRssKiB(supervisorPid);
  const reapersKiB = trees.reapers.reduce((sum, r) => sum + vmRssKiB(r.pid), 0);

  const t1 = performance.now();
  const down = check(await run(CORRAL, ['down'], opts), 'corral down');
  const procs = [supervisor, ...trees.reapers, ...trees.sleeps].map(ident);
  const goneMs = await goneAfter(trees.sleeps, t1, 30_000, 'corral down: sleeps');
  const allGoneMs = await goneAfter(procs, t1, 30_000, 'corral down: supervisor and reapers');
  return {
    upMs,
    upCliMs: up.ms,
    downMs: Math.max(down.ms, goneMs),
    downCliMs: down.ms,
    allGoneMs,
    supervisorKiB,
    reapersKiB,
  };
}

// ---- 100 services: pm2 -------------------------------------------------------------

function pm2Daemon(w) {
  const pid = Number(readFileSync(join(w.pm2Home, 'pm2.pid'), 'latin1'));
  const stat = readStat(pid);
  if (!stat) throw new Error(`pm2 daemon ${pid} (from pm2.pid) is not running`);
  return stat;
}

function pm2Sleeps(daemonPid) {
  const sleeps = childrenOf(daemonPid)
    .map(readStat)
    .filter((s) => s?.comm === 'sleep' && s.state !== 'Z');
  return sleeps.length === N ? sleeps : null;
}

function parseJlist(stdout) {
  return JSON.parse(stdout.slice(stdout.indexOf('[')));
}

async function pm2Round(w) {
  const opts = { cwd: w.dirs.pm2, env: w.pm2Env };
  const t0 = performance.now();
  const start = check(await run(PM2, ['start', w.ecosystem], opts), 'pm2 start');
  const daemon = pm2Daemon(w);
  w.pm2Procs.push(ident(daemon));
  const sleeps = await waitFor(() => pm2Sleeps(daemon.pid), { bound: 10_000, interval: 2, what: `${N} pm2 sleeps` });
  const upMs = performance.now() - t0;
  w.pm2Procs.push(...sleeps.map(ident));

  // Off the clock (as corral status is): pm2 agrees, 100 online with these pids.
  const pids = new Set(sleeps.map((s) => s.pid));
  const jlistStart = performance.now();
  let online = 0;
  for (;;) {
    const list = parseJlist(check(await run(PM2, ['jlist'], opts), 'pm2 jlist').stdout);
    online = list.filter((a) => a.pm2_env?.status === 'online' && pids.has(a.pid)).length;
    if (online === N) break;
    if (performance.now() - jlistStart > 10_000) throw new Error(`pm2 jlist: ${online} of ${N} online`);
    await sleep(50);
  }
  await sleep(SETTLE_MS);
  const daemonKiB = vmRssKiB(daemon.pid);

  const t1 = performance.now();
  const kill = check(await run(PM2, ['kill'], opts), 'pm2 kill');
  const goneMs = await goneAfter(sleeps, t1, 30_000, 'pm2 kill: sleeps');
  const allGoneMs = await goneAfter([daemon, ...sleeps], t1, 30_000, 'pm2 kill: daemon');
  return { upMs, upCliMs: start.ms, downMs: Math.max(kill.ms, goneMs), downCliMs: kill.ms, allGoneMs, daemonKiB };
}

// ---- log throughput ----------------------------------------------------------------

/**
 * Foreground `corral up`, stdout piped here: counts lines, checks each service's sequence.
 * `linger`: each producer stays alive after its last line (`awk …; exec sleep 1000`, as for pm2)
 * and the project is stopped with `corral down` once every line is here (off the clock); without
 * it the producers exit at once and `corral up` exits by itself: what reaches the pipe is counted.
 */
async function corralLogs(w, linger) {
  const dir = linger ? w.dirs.logLinger : w.dirs.log;
  const total = LOG_SERVICES * LOG_LINES;
  const next = new Array(LOG_SERVICES + 1).fill(0);
  let count = 0;
  let bad = 0;
  let firstBad = null;
  let first = null;
  let firstChunkLines = 0;
  let last = null;
  let pending = '';
  let all;
  const allHere = new Promise((resolve) => (all = resolve));
  const t0 = performance.now();
  const child = spawnChild(CORRAL, ['up'], { cwd: dir, env: w.corralEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  w.logChild = { child, dir };
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  child.stdout.setEncoding('latin1');
  child.stdout.on('data', (chunk) => {
    const now = performance.now();
    const lines = (pending + chunk).split('\n');
    pending = lines.pop();
    for (const line of lines) {
      count++;
      const bar = line.indexOf(' | ');
      const name = bar < 0 ? '' : line.slice(0, bar).trimEnd();
      const m = /^svc (\d+) (\d+)$/.exec(line.slice(bar + 3));
      const i = m ? Number(m[1]) : -1;
      if (m && name === `s${i}` && Number(m[2]) === next[i]) {
        next[i]++;
      } else {
        bad++;
        firstBad ??= line;
        if (m && name === `s${i}`) next[i] = Number(m[2]) + 1;
      }
    }
    if (first === null) {
      first = now;
      firstChunkLines = lines.length;
    }
    if (last === null) {
      if (count >= total) {
        last = now;
        all();
      }
    }
  });
  const closed = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  if (linger) {
    await guard(Promise.race([allHere, closed]), 60_000, `${total} lines from corral up`);
    check(await run(CORRAL, ['down'], { cwd: dir, env: w.corralEnv }), 'corral down (logs)');
  }
  const exit = await guard(closed, 60_000, 'foreground corral up of the log services');
  const exitMs = performance.now() - t0;
  w.logChild = null;
  if (exit.code !== 0) throw new Error(`corral up exited ${exit.code ?? exit.signal}: ${stderr.slice(-2000)}`);
  if (pending) bad++; // an unterminated last line
  const delivered = next.slice(1).reduce((sum, n) => sum + n, 0);
  return {
    lines: count,
    outOfOrder: bad,
    firstBad,
    lost: total - delivered,
    rate: last !== null && last > first ? (count - firstChunkLines) / ((last - first) / 1000) : Number.NaN,
    spanMs: last === null ? Number.NaN : last - first,
    wallMs: last === null ? Number.NaN : last - t0,
    exitMs,
  };
}

const logBytes = (i) => {
  let bytes = 0;
  for (let seq = 0; seq < LOG_LINES; seq++) bytes += `svc ${i} ${seq}\n`.length;
  return bytes;
};

/** `count` lines `svc i 0` … in order at the start of `lines`: how many of them are there. */
function inOrder(lines, i) {
  let seq = 0;
  while (seq < lines.length && lines[seq] === `svc ${i} ${seq}`) seq++;
  return seq;
}

/**
 * pm2 with its daemon already up: from `pm2 start` until every out file holds every line.
 * pm2 closes an app's log files as soon as the app exits, before the rest of its pipe is read
 * (God/ForkMode.js, 'exit' → stds.destroy()), so each producer stays alive after its last line
 * (`awk …; exec sleep 1000`) and is deleted afterwards. With `linger` false the producer exits at
 * once, as under corral: then only how many lines pm2 kept is measured.
 */
async function pm2Logs(w, tag, linger) {
  const opts = { cwd: w.dirs.pm2, env: w.pm2Env };
  const files = [];
  const apps = [];
  for (let i = 1; i <= LOG_SERVICES; i++) {
    const out = join(w.dirs.pm2Logs, `${tag}-s${i}.out`);
    files.push({ i, out, bytes: logBytes(i) });
    apps.push({
      name: `${tag}-s${i}`,
      ...(linger ? { script: 'sh', args: ['-c', lingering(i)] } : { script: 'awk', args: [awkProgram(i)] }),
      interpreter: 'none',
      exec_mode: 'fork',
      autorestart: false,
      merge_logs: true,
      out_file: out,
      error_file: join(w.dirs.pm2Logs, `${tag}-s${i}.err`),
    });
  }
  const ecosystem = join(w.dirs.pm2, `${tag}.config.cjs`);
  writeFileSync(ecosystem, `module.exports = ${JSON.stringify({ apps })};\n`);
  const size = (path) => {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  };
  const want = files.reduce((sum, f) => sum + f.bytes, 0);
  const total = LOG_SERVICES * LOG_LINES;
  const t0 = performance.now();
  const started = run(PM2, ['start', ecosystem], opts);
  let first = null;
  let firstBytes = 0;
  let last = null;
  if (linger) {
    const deadline = t0 + 60_000;
    while (last === null) {
      const sizes = files.map((f) => size(f.out));
      const now = performance.now();
      const sum = sizes.reduce((a, b) => a + b, 0);
      if (first === null && sum > 0) {
        first = now;
        firstBytes = sum;
      }
      if (sizes.every((s, k) => s >= files[k].bytes)) last = now;
      else if (now > deadline) throw new Error(`pm2 logs: ${sum} of ${want} bytes after 60 s`);
      else await sleep(2);
    }
    check(await started, 'pm2 start (logs)');
  } else {
    check(await started, 'pm2 start (logs)');
    const since = performance.now();
    for (;;) {
      const list = parseJlist(check(await run(PM2, ['jlist'], opts), 'pm2 jlist').stdout);
      const mine = list.filter((a) => a.name.startsWith(`${tag}-`));
      if (mine.length === LOG_SERVICES && mine.every((a) => a.pm2_env?.status === 'stopped')) break;
      if (performance.now() - since > 30_000) throw new Error('pm2 logs: the producers did not stop within 30 s');
      await sleep(100);
    }
    await sleep(500); // whatever pm2 still writes
  }
  let kept = 0;
  let lines = 0;
  for (const f of files) {
    let got = [];
    try {
      got = readFileSync(f.out, 'latin1').split('\n');
    } catch {}
    got.pop();
    lines += got.length;
    kept += inOrder(got, f.i);
  }
  check(await run(PM2, ['delete', 'all'], opts), 'pm2 delete all');
  return {
    lines,
    kept,
    outOfOrder: lines - kept,
    // bytes written after the first poll that saw any, over the time it took
    rate: linger && last > first ? (total * (1 - firstBytes / want)) / ((last - first) / 1000) : Number.NaN,
    spanMs: linger ? last - first : Number.NaN,
    wallMs: linger ? last - t0 : Number.NaN,
  };
}

// ---- the measurement ---------------------------------------------------------------

const kib = (k) => (k >= 10240 ? `${(k / 1024).toFixed(1)} MiB` : `${Math.round(k)} KiB`);
const ms = (x) => `${x.toFixed(0)} ms`;
const spread = (values) => `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)}`;

export async function measure() {
  const w = setUp();
  const cleanup = onCleanup(() => tearDown(w));
  try {
    const corral = [];
    const pm2 = [];
    for (let rep = 0; rep < WARMUP + REPS; rep++) {
      const order = rep % 2 === 0 ? ['corral', 'pm2'] : ['pm2', 'corral'];
      for (const who of order) {
        const result = who === 'corral' ? await corralRound(w) : await pm2Round(w);
        w.corralProcs = w.corralProcs.filter(alive);
        w.pm2Procs = w.pm2Procs.filter(alive);
        if (rep >= WARMUP) (who === 'corral' ? corral : pm2).push(result);
      }
    }

    // Log throughput: pm2's daemon is started first (pm2 ping), off the clock.
    check(await run(PM2, ['ping'], { cwd: w.dirs.pm2, env: w.pm2Env }), 'pm2 ping');
    w.pm2Procs.push(ident(pm2Daemon(w)));
    const corralLog = [];
    const pm2Log = [];
    for (let rep = 0; rep < LOG_REPS; rep++) {
      if (rep % 2 === 0) {
        corralLog.push(await corralLogs(w, true));
        pm2Log.push(await pm2Logs(w, `r${rep}`, true));
      } else {
        pm2Log.push(await pm2Logs(w, `r${rep}`, true));
        corralLog.push(await corralLogs(w, true));
      }
    }
    const corralExiting = [];
    for (let rep = 0; rep < LOG_REPS; rep++) corralExiting.push(await corralLogs(w, false));
    const pm2Exiting = await pm2Logs(w, 'exiting', false);
    check(await run(PM2, ['kill'], { cwd: w.dirs.pm2, env: w.pm2Env }), 'pm2 kill');

    const m = (list, key) => median(list.map((r) => r[key]));
    const upC = m(corral, 'upMs');
    const upP = m(pm2, 'upMs');
    const downC = m(corral, 'downMs');
    const downP = m(pm2, 'downMs');
    const supC = m(corral, 'supervisorKiB');
    const supP = m(pm2, 'daemonKiB');
    const totalC = median(corral.map((r) => r.supervisorKiB + r.reapersKiB));
    const perService = m(corral, 'reapersKiB') / N;
    const rateC = m(corralLog, 'rate');
    const rateP = m(pm2Log, 'rate');
    const totalLines = LOG_SERVICES * LOG_LINES;
    const disorder = [...corralLog, ...corralExiting].reduce((sum, r) => sum + r.outOfOrder, 0);
    const complete = corralLog.every((r) => r.lost === 0 && r.lines === totalLines);
    const pm2Disorder = pm2Log.reduce((sum, r) => sum + r.outOfOrder, 0);
    const lost = corralExiting.map((r) => r.lost);

    const rows = [
      {
        measurement: `${N} services up, median of ${REPS}`,
        corral: `${ms(upC)} up -d (${spread(corral.map((r) => r.upMs))})`,
        alternative: `${ms(upP)} pm2 start (${spread(pm2.map((r) => r.upMs))})`,
        ratio: upC / upP,
        target: 1.0,
      },
      {
        measurement: `${N} services down, median of ${REPS}`,
        corral: `${ms(downC)} down (${spread(corral.map((r) => r.downMs))})`,
        alternative: `${ms(downP)} pm2 kill (${spread(pm2.map((r) => r.downMs))})`,
        ratio: downC / downP,
        target: 1.0,
      },
      {
        measurement: `supervisor VmRSS, ${N} services up`,
        corral: kib(supC),
        alternative: `${kib(supP)} pm2 daemon`,
        ratio: supC / supP,
        target: 1.0,
      },
      {
        measurement: '  total incl. reapers (info)',
        corral: kib(totalC),
        alternative: `${kib(supP)} pm2 daemon`,
        ratio: totalC / supP,
        target: null,
      },
      {
        measurement: '  per-service overhead (reaper)',
        corral: kib(perService),
        alternative: '—',
        ratio: Number.NaN,
        target: { text: `≤ ${PER_SERVICE_KIB} KiB`, ok: perService <= PER_SERVICE_KIB },
      },
      {
        measurement: `log ${LOG_SERVICES}×${LOG_LINES / 1000}k lines, median of ${LOG_REPS}`,
        corral: `${Math.round(rateC / 1000)}k lines/s (${corralLog.map((r) => Math.round(r.rate / 1000)).join(', ')}k)`,
        alternative: `${Math.round(rateP / 1000)}k lines/s pm2 → files`,
        ratio: rateP / rateC,
        target: { text: `≥ ${LOG_TARGET / 1000}k lines/s`, ok: rateC >= LOG_TARGET },
      },
      {
        measurement: '  order within each service',
        corral: `${disorder} out of order (${2 * LOG_REPS} runs); ${complete ? 'none' : 'some'} lost`,
        alternative: `${pm2Disorder} out of order (pm2)`,
        ratio: Number.NaN,
        target: { text: 'none, all lines', ok: disorder === 0 && complete },
      },
      {
        measurement: '  all lines when services exit at once',
        corral: `${lost.join('/')} of ${totalLines / 1000}k lost`,
        alternative: `pm2 kept ${pm2Exiting.kept}/${totalLines}*`,
        ratio: Number.NaN,
        target: { text: 'none lost', ok: lost.every((n) => n === 0) },
      },
      {
        measurement: '  log wall from spawn (info)',
        corral: `${ms(m(corralLog, 'wallMs'))} corral up`,
        alternative: `${ms(m(pm2Log, 'wallMs'))} pm2 start, warm daemon`,
        ratio: m(corralLog, 'wallMs') / m(pm2Log, 'wallMs'),
        target: null,
      },
    ];
    const notes = [
      `services: up = from spawning \`corral up -d\` / \`pm2 start\` until it exited and all ${N} sleeps are children ` +
        'of the reapers / the pm2 daemon in /proc (then, off the clock, `corral status --json` / `pm2 jlist` must agree); ' +
        'both daemons start cold each round. down = until `corral down` / `pm2 kill` exited and every recorded ' +
        `sleep (pid + start time) is gone. RSS: VmRSS ${SETTLE_MS} ms after the status request. Log rate: lines ` +
        "after the first chunk over first-to-last chunk on corral up's stdout pipe; pm2: bytes in its out files, polled every 2 ms. " +
        'Both timed log runs keep each producer alive after its last line (`awk …; exec sleep 1000`) and stop it ' +
        'afterwards; "exit at once" runs plain awk and lets `corral up` exit by itself, its stdout read by this bench.',
      "* pm2 closes an app's log files on its exit, before its pipe is drained (God/ForkMode.js), so the output's tail " +
        'is lost when a producer exits at once.',
    ];
    const raw = {
      n: N,
      reps: REPS,
      corral,
      pm2,
      logs: { services: LOG_SERVICES, lines: LOG_LINES, corral: corralLog, pm2: pm2Log, corralExiting, pm2Exiting },
    };
    return { raw, rows, notes };
  } finally {
    cleanup();
  }
}
