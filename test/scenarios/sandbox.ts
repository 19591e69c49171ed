// The sandbox level's guarantees, checked from outside the sandbox. Run by
// test/tree/levels.test.ts twice: as root (inside a cgroup v1 pids group, a safety net for the
// storm) and as the unprivileged user corral-test (via runAsUser, under `prlimit --nproc`).
// Prints one JSON line: { uid, checks: [{ name, ok, detail }] }; exits 0 only if all passed.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isCorralError, run, spawn, type Tree } from '../../dist/index.js';
import { fixture } from '../helpers/fixtures.js';
import { readStat } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';

// Safety net first: unprivileged, re-run under a process limit for this uid; root joins the pids group.
if (process.getuid?.() !== 0 && process.env.CORRAL_SCENARIO_LIMITED !== '1') {
  const me = fileURLToPath(import.meta.url);
  const child = spawnSync('prlimit', ['--nproc=400', process.execPath, me], {
    env: { ...process.env, CORRAL_SCENARIO_LIMITED: '1' },
    stdio: 'inherit',
  });
  process.exit(child.status ?? 1);
}
const net = process.env.CORRAL_TEST_CGROUP_PROCS;
if (net) writeFileSync(net, String(process.pid));
delete process.env.CORRAL_TEST_CGROUP_PROCS;

interface Check {
  name: string;
  ok: boolean;
  detail: unknown;
}
const checks: Check[] = [];
const uid = process.getuid?.() ?? -1;
const sandboxed = { level: 'sandbox', reject: false, timeout: '30s' } as const;

async function check(name: string, fn: () => Promise<{ ok: boolean; detail: unknown }>): Promise<void> {
  try {
    checks.push({ name, ...(await fn()) });
  } catch (error) {
    checks.push({ name, ok: false, detail: `threw: ${(error as Error).stack}` });
  }
}

function pidNamespace(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return null;
  }
}

/** Every process in pid namespace `ns` (as seen from outside). */
function inNamespace(ns: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => pidNamespace(pid) === ns);
}

/** Waits until the tree has `n` members; returns them with start times and the namespace. */
async function shaped(tree: Tree, n: number) {
  const pids = await waitFor(() => (tree.pids().length >= n ? tree.pids() : null), { what: `${n} members` });
  const ns = pidNamespace(tree.pid);
  const procs = pids.map((pid) => ({ pid, start: readStat(pid)?.start }));
  return { ns, procs };
}

function gone(procs: { pid: number; start: number | undefined }[]): boolean {
  return procs.every((p) => readStat(p.pid)?.start !== p.start);
}

const work = mkdtempSync(join(tmpdir(), 'corral-sandbox-'));
chmodSync(work, 0o777); // the tree runs as nobody when we are root
try {
  await check('the level is reported by handle and result; ids inside are the caller’s (nobody for root)', async () => {
    const r = await run('sh', ['-c', 'id -u; id -g'], sandboxed);
    const [u, g] = (r.stdout ?? '').trim().split('\n').map(Number);
    const want = uid === 0 ? 65534 : uid;
    const wantGid = uid === 0 ? 65534 : (process.getgid?.() ?? -1);
    return { ok: r.level === 'sandbox' && r.exitCode === 0 && u === want && g === wantGid, detail: { r, u, g } };
  });

  await check('a fresh /proc: only the sandbox’s processes, the init as pid 1, main as pid 2', async () => {
    const r = await run(
      'sh',
      ['-c', 'cat /proc/1/comm; echo $$; ls /proc | grep -E "^[0-9]+$" | sort -n | tr "\\n" " "'],
      sandboxed,
    );
    const [init, self, listed] = (r.stdout ?? '').trim().split('\n');
    const pids = (listed ?? '').trim().split(' ').map(Number);
    return {
      ok: init === 'corral-reaper' && self === '2' && pids.every((p) => p < 50) && pids.includes(1),
      detail: r.stdout,
    };
  });

  await check('a tree that SIGKILLs every ancestor it finds and detaches a sleeper is killed whole', async () => {
    const script = [
      'p=$PPID',
      'while [ "$p" -gt 0 ]; do n=$(cut -d" " -f4 /proc/$p/stat); kill -9 "$p"; [ "$p" -le 1 ] && break; p=$n; done',
      'kill -9 -1', // every process it may signal in its namespace, the init excepted
      "setsid sh -c 'sleep 1000' &",
      'sleep 1000 & wait',
    ].join('\n');
    const tree = await spawn('sh', ['-c', script], { level: 'sandbox', stdio: 'ignore', leftovers: 'wait' });
    const { ns, procs } = await shaped(tree, 4);
    const result = await tree.kill();
    const left = ns === null ? ['no namespace?'] : inNamespace(ns);
    return {
      ok: ns !== null && left.length === 0 && gone(procs) && tree.pids().length === 0 && result.killed,
      detail: { ns, procs, left, result },
    };
  });

  await check('a fork storm is capped at exactly maxProcesses, and nothing of it is left', async () => {
    const max = 20;
    const tree = await spawn(fixture('fork-storm'), [], {
      level: 'sandbox',
      maxProcesses: max,
      stdio: 'ignore',
      timeout: '20s',
      env: { ...process.env, CORRAL_TEST_OUTER_LIMIT: '1' },
    });
    let peak = 0;
    let atMax = 0;
    await waitFor(
      () => {
        peak = Math.max(peak, tree.pids().length);
        if (peak >= max) atMax++;
        return atMax >= 20 || peak > max; // at the cap for a while: forks beyond it keep failing
      },
      { bound: 15_000, what: `the storm to reach ${max}` },
    );
    const ns = pidNamespace(tree.pid);
    const result = await tree.kill('SIGKILL');
    const left = ns === null ? [] : inNamespace(ns);
    return { ok: peak === max && left.length === 0 && result.level === 'sandbox', detail: { peak, max, left } };
  });

  await check('a capped fork storm that times out leaves nothing either', async () => {
    const tree = await spawn(fixture('fork-storm'), [], {
      level: 'sandbox',
      maxProcesses: 10,
      stdio: 'ignore',
      timeout: '1s',
      killAfter: 100,
      env: { ...process.env, CORRAL_TEST_OUTER_LIMIT: '1' },
    });
    const ns = pidNamespace(tree.pid);
    const result = await tree.done;
    const left = ns === null ? ['no namespace?'] : inNamespace(ns);
    return { ok: result.timedOut && result.limit === 'timeout' && left.length === 0, detail: { left, result } };
  });

  await check(
    'network: false — the host’s loopback port and unix socket are unreachable; loopback inside works',
    async () => {
      const server = await listen(
        createServer(() => {}),
        0,
      );
      const port = (server.address() as { port: number }).port;
      const path = join(work, 'host.sock');
      const unix = await listen(
        createServer(() => {}),
        path,
      );
      chmodSync(path, 0o777);
      const probe = [
        "const net = require('node:net');",
        'const attempt = (to) => new Promise((res) => { const s = net.connect(to, () => { s.destroy(); res("connected"); }); s.on("error", (e) => res(e.code)); });',
        '(async () => {',
        `  const host = await attempt({ host: '127.0.0.1', port: ${port} });`,
        `  const sock = await attempt(${JSON.stringify(path)});`,
        '  const inner = await new Promise((res) => { const srv = net.createServer((c) => c.end()).listen(0, "127.0.0.1", async () => { res(await attempt({ host: "127.0.0.1", port: srv.address().port })); srv.close(); }); });',
        '  console.log(JSON.stringify({ host, sock, inner }));',
        '})();',
      ].join('\n');
      try {
        const off = await run(process.execPath, ['-e', probe], { ...sandboxed, network: false });
        const on = await run(process.execPath, ['-e', probe], sandboxed); // the control: same probe, network on
        const seen = JSON.parse(off.stdout || '{}');
        const control = JSON.parse(on.stdout || '{}');
        return {
          ok:
            seen.host === 'ECONNREFUSED' &&
            seen.sock === 'EACCES' &&
            seen.inner === 'connected' &&
            control.host === 'connected' &&
            control.sock === 'connected',
          detail: { seen, control, stderr: off.stderr },
        };
      } finally {
        server.close();
        unix.close();
      }
    },
  );

  await check('readOnly: writing outside `writable` fails with EACCES, inside works', async () => {
    const open = join(work, 'writable');
    const closed = join(work, 'closed');
    for (const dir of [open, closed]) {
      spawnSync('mkdir', ['-m', '777', dir]);
      chmodSync(dir, 0o777);
    }
    const probe = (dir: string) =>
      `try { require('node:fs').writeFileSync(${JSON.stringify(join(dir, 'f'))}, 'x'); console.log('ok'); } catch (e) { console.log(e.code); }`;
    const ro = { ...sandboxed, readOnly: true, writable: [open] };
    const inside = await run(process.execPath, ['-e', probe(open)], ro);
    const outside = await run(process.execPath, ['-e', probe(closed)], ro);
    const control = await run(process.execPath, ['-e', probe(closed)], sandboxed);
    return {
      ok: inside.stdout?.trim() === 'ok' && outside.stdout?.trim() === 'EACCES' && control.stdout?.trim() === 'ok',
      detail: { inside: inside.stdout, outside: outside.stdout, control: control.stdout },
    };
  });

  if (uid !== 0) {
    await check('the cgroup level is refused with the missing capability and the fix, nothing started', async () => {
      try {
        await run('true', [], { level: 'cgroup' });
        return { ok: false, detail: 'resolved' };
      } catch (error) {
        const e = error as { code?: string; message: string; hint?: string };
        return {
          ok:
            isCorralError(error) &&
            e.code === 'CORRAL_ERR_LEVEL_UNAVAILABLE' &&
            /is not writable by uid/.test(e.message) &&
            /systemd-run --user --scope -p Delegate=yes/.test(e.hint ?? ''),
          detail: { code: e.code, message: e.message, hint: e.hint },
        };
      }
    });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

function listen(server: Server, where: number | string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if (typeof where === 'number') server.listen(where, '127.0.0.1', () => resolve(server));
    else server.listen(where, () => resolve(server));
  });
}

const ok = checks.every((c) => c.ok);
process.stdout.write(`${JSON.stringify({ uid, checks })}\n`);
process.exit(ok ? 0 : 1);
