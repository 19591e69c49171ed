// corral doctor from a shell's point of view: --json is capabilities(), the text report has a
// line per item and per level that agrees with it, colour only on a terminal, statuses.
import assert from 'node:assert/strict';
import { spawn as spawnChild } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Capabilities, capabilities } from '../../dist/index.js';
import { repoRoot, requireTestUser, runAsUser } from '../helpers/index.js';

const corral = join(repoRoot, 'bin', 'corral');
const bundle = join(repoRoot, 'dist', 'cli', 'corral.cjs'); // what runAsUser can run as the user
const csi = '\u001b['; // every colour escape starts so

interface Exit {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string | undefined> = process.env): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawnChild(file, args, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const guard = setTimeout(() => {
      child.kill('SIGKILL'); // our unreaped child: its pid is its own
      reject(new Error(`hang guard: ${file} ${args.join(' ')}`));
    }, 30_000);
    child.on('error', reject).on('close', (status) => {
      clearTimeout(guard);
      resolve({ status, stdout, stderr });
    });
  });
}

/** The level lines the report must hold for these capabilities, in order. */
function expectedLevelLines(caps: Capabilities): RegExp[] {
  return (['track', 'cgroup', 'sandbox'] as const).map((name) => {
    const level = caps.levels[name];
    const [mark, summary] =
      level.machine && level.implemented
        ? ['✓', 'available']
        : level.machine
          ? ['✗', 'not in this version of corral; this machine could run it']
          : ['✗', 'not available'];
    return new RegExp(`^${mark} ${name} +${summary}$`, 'm');
  });
}

/** Checks the text report against the JSON one. */
function assertReportAgrees(text: string, caps: Capabilities): void {
  const levels = text.slice(text.indexOf('\nLevels\n'));
  assert.ok(levels.length > 0, `a Levels section: ${text}`);
  let at = 0;
  for (const line of expectedLevelLines(caps)) {
    const match = line.exec(levels.slice(at));
    assert.ok(match, `${line} after offset ${at} in:\n${levels}`);
    at += (match.index ?? 0) + match[0].length;
  }
  for (const name of ['cgroup', 'sandbox'] as const) {
    const { fix, note, machine, why } = caps.levels[name];
    if (!machine) assert.ok(text.includes(`why: ${why}\n`), `${name} why`);
    if (fix) assert.ok(text.includes(`fix: ${fix}\n`), `${name} fix`);
    if (note) assert.ok(text.includes(`note: ${note}\n`), `${name} note`);
  }
  const item = (ok: boolean, label: string): RegExp => new RegExp(`^${ok ? '✓' : '✗'} ${label} `, 'm');
  assert.match(text, item(caps.pidfd, 'pidfd'));
  assert.match(text, item(caps.cgroup.delegated.writable, 'delegated group'));
  assert.match(text, item(caps.cgroup.cgroupKill, 'cgroup.kill'));
  assert.match(text, item(caps.userns.allowed, 'user \\+ pid namespaces'));
  assert.match(text, item(caps.landlock.abi !== null, 'Landlock'));
}

test('corral doctor --json prints capabilities() and exits 0', async () => {
  const out = await run(corral, ['doctor', '--json']);
  assert.deepEqual([out.status, out.stderr], [0, '']);
  assert.deepEqual(JSON.parse(out.stdout), await capabilities());
});

test('corral doctor prints a line per item and per level that agrees with --json, uncoloured when piped', async () => {
  const env = { ...process.env, NO_COLOR: undefined };
  const out = await run(corral, ['doctor'], env);
  assert.deepEqual([out.status, out.stderr], [0, '']);
  assertReportAgrees(out.stdout, await capabilities());
  assert.ok(!out.stdout.includes(csi), 'no escape codes on a pipe');
});

test('corral doctor colours its marks on a terminal, and not with NO_COLOR', async () => {
  // script(1) gives corral a pty.
  const tty = await run('script', ['-qefc', `${corral} doctor`, '/dev/null'], { ...process.env, NO_COLOR: undefined });
  assert.equal(tty.status, 0, tty.stderr);
  assert.ok(tty.stdout.includes(`${csi}32m✓${csi}39m `), `a green ✓: ${JSON.stringify(tty.stdout)}`);
  const plain = await run('script', ['-qefc', `${corral} doctor`, '/dev/null'], { ...process.env, NO_COLOR: '1' });
  assert.equal(plain.status, 0, plain.stderr);
  assert.ok(!plain.stdout.includes(csi), 'NO_COLOR: no escape codes');
  assert.match(plain.stdout, /^✓ track +available\r?$/m);
});

test('corral doctor without its reaper still reports (exit 0): nothing could be tried, and the fix', async () => {
  const out = await run(corral, ['doctor', '--json'], { ...process.env, CORRAL_REAPER: '/nonexistent/corral-reaper' });
  assert.deepEqual([out.status, out.stderr], [0, '']);
  const caps = JSON.parse(out.stdout) as Capabilities;
  assert.deepEqual(caps.reaper, {
    path: null,
    error: 'the corral-reaper helper is missing at /nonexistent/corral-reaper',
  });
  assert.deepEqual([caps.pidfd, caps.userns, caps.landlock], [false, { allowed: false }, { abi: null }]);
  assert.deepEqual(caps.levels.track, {
    machine: false,
    implemented: true,
    why: 'the corral-reaper helper is missing at /nonexistent/corral-reaper',
    fix: 'run `npm rebuild corral` to build the corral-reaper helper, or set CORRAL_REAPER to its path',
  });
  assert.match(
    caps.levels.sandbox.why ?? '',
    /^user namespaces could not be tried: the corral-reaper helper is missing/,
  );
});

test('corral doctor: bad usage exits 2 with one line and a hint; --help exits 0', async () => {
  assert.deepEqual(await run(corral, ['doctor', 'extra']), {
    status: 2,
    stdout: '',
    stderr: "corral: unexpected argument 'extra'\nhint: usage: corral doctor [--json]\n",
  });
  assert.deepEqual(await run(corral, ['doctor', '--bogus']), {
    status: 2,
    stdout: '',
    stderr: "corral: Unknown option '--bogus'\nhint: see 'corral doctor --help'\n",
  });
  const help = await run(corral, ['doctor', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^usage: corral doctor \[--json\]\n/);
});

test('as an unprivileged user, corral doctor says cgroup is not available, why, and the systemd-run fix', async (t) => {
  const user = requireTestUser(t);
  if (user === undefined) return;
  const json = await runAsUser(bundle, ['doctor', '--json']);
  assert.deepEqual([json.code, json.stderr], [0, '']);
  const caps = JSON.parse(json.stdout) as Capabilities;
  assert.equal(caps.cgroup.delegated.writable, false);
  const text = await runAsUser(bundle, ['doctor']);
  assert.deepEqual([text.code, text.stderr], [0, '']);
  assertReportAgrees(text.stdout, caps);
  assert.match(text.stdout, /^✗ cgroup +not available\n +why: .* is not writable by uid \d+: EACCES/m);
  assert.match(text.stdout, /^ +fix: run under `systemd-run --user --scope -p Delegate=yes corral …`/m);
  assert.match(text.stdout, /^✓ track +available$/m);
});
