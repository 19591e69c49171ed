// capabilities(): each fact checked against what the test reads or tries itself, as root and as
// the unprivileged user; the parsers and fixes on fixed inputs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Capabilities, capabilities } from '../../dist/index.js';
import { cgroupDir, readCgroup2Mounts, readOwnCgroup } from '../../dist/kernel/cgroup.js';
import { type UsernsSysctls, usernsFix } from '../../dist/kernel/namespaces.js';
import { repoRoot, requireTestUser, runAsUser } from '../helpers/index.js';

const scenario = fileURLToPath(new URL('../scenarios/capabilities.js', import.meta.url));
const limitControllers = ['pids', 'memory', 'cpu'];

/** The test's own reading of mountinfo: cgroup2 mount points, and the controllers bound to v1. */
function readMounts(): { v2: string[]; v1Controllers: Set<string> } {
  const v2: string[] = [];
  const v1Controllers = new Set<string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n')) {
    const [before = '', after = ''] = line.split(' - ');
    const [fstype, , superOptions = ''] = after.split(' ');
    if (fstype === 'cgroup2') v2.push(before.split(' ')[4] as string);
    if (fstype === 'cgroup') for (const o of superOptions.split(',')) v1Controllers.add(o);
  }
  return { v2, v1Controllers };
}

/** What every answer must say whoever asks: the levels follow from the facts. */
function assertConsistent(caps: Capabilities): void {
  const { levels, cgroup } = caps;
  assert.deepEqual(levels.track, { machine: caps.pidfd, implemented: true }, 'track: available wherever pidfd works');
  assert.equal(levels.cgroup.machine, cgroup.delegated.writable, 'cgroup: available exactly with a writable group');
  assert.equal(levels.sandbox.machine, caps.userns.allowed, 'sandbox: available exactly with user namespaces');
  for (const name of ['cgroup', 'sandbox'] as const) {
    assert.equal(levels[name].implemented, true, `${name} is in this version`);
    assert.equal(levels[name].why === undefined, levels[name].machine, `${name}: a reason exactly when unavailable`);
    assert.equal(
      levels[name].fix === undefined,
      levels[name].machine,
      `${name}: a fix exactly when the machine lacks it`,
    );
  }
  assert.equal(cgroup.delegated.reason === undefined, cgroup.delegated.writable, 'a reason exactly when not writable');
  assert.equal(caps.userns.errno === undefined, caps.userns.allowed, 'an errno exactly when refused');
  assert.equal(caps.landlock.errno === undefined, caps.landlock.abi !== null, 'an errno exactly when no Landlock');
  const missing = limitControllers.filter((c) => !cgroup.controllers.includes(c as 'pids'));
  assert.equal(
    levels.cgroup.note?.includes(`no ${missing.join('/')} controller`) ?? false,
    missing.length > 0,
    'the cgroup level notes the controllers it lacks, and only then',
  );
}

test('capabilities() as root: kernel, pidfd, the cgroup2 mounts and a writable v2 root, user namespaces, Landlock', async (t) => {
  if (process.geteuid?.() !== 0) return t.skip('needs root: the test checks the root view of cgroupfs');
  const caps = await capabilities();
  assertConsistent(caps);
  const [major, minor] = release().split('.').map(Number);
  assert.deepEqual(caps.kernel, { release: release(), version: [major, minor] });
  assert.equal(caps.reaper.error, undefined);
  assert.equal(caps.pidfd, true, 'pidfd works on Linux ≥ 5.3');

  const { v2, v1Controllers } = readMounts();
  const kind = v1Controllers.size > 0 ? 'hybrid' : 'unified';
  assert.deepEqual(
    caps.cgroup.mounts,
    v2.map((path) => ({ path, kind })),
    'every cgroup2 mount of mountinfo',
  );
  if (kind === 'hybrid') {
    assert.ok(v2.includes('/sys/fs/cgroup/unified'), 'hybrid layout: cgroup2 at /sys/fs/cgroup/unified');
  }
  const own = readFileSync('/proc/self/cgroup', 'utf8').match(/^0::(.*)$/m)?.[1];
  assert.equal(caps.cgroup.own, own);

  // Root makes its groups at the root of the mount that shows its own group.
  assert.deepEqual(caps.cgroup.delegated, { path: caps.cgroup.mounts[0]?.path, writable: true });
  const listed = readFileSync(join(caps.cgroup.mounts[0]?.path ?? '', 'cgroup.controllers'), 'utf8').split(/\s+/);
  assert.deepEqual(
    caps.cgroup.controllers,
    limitControllers.filter((c) => listed.includes(c)),
  );
  for (const c of limitControllers) {
    if (v1Controllers.has(c)) assert.ok(!caps.cgroup.controllers.includes(c as 'pids'), `${c} is bound to v1`);
  }
  assert.equal(caps.cgroup.cgroupKill, major > 5 || (major === 5 && minor >= 14), 'cgroup.kill since Linux 5.14');

  const witness = spawnSync('unshare', ['--user', '--pid', '--fork', 'true']);
  assert.equal(caps.userns.allowed, witness.status === 0, 'agrees with unshare(1)');
  assert.equal(caps.userns.allowed, true);
  assert.ok((caps.landlock.abi ?? 0) >= 1, `Landlock works on these machines, got ${JSON.stringify(caps.landlock)}`);
  assert.deepEqual(caps.levels.cgroup.machine && caps.levels.sandbox.machine, true, 'root here could run every level');
  assert.deepEqual(await capabilities(), caps, 'a second call (probe cached) says the same');
});

test('capabilities() as an unprivileged user: no writable cgroup (with the reason and the systemd-run fix), user namespaces allowed', async (t) => {
  const user = requireTestUser(t);
  if (user === undefined) return;
  const run = await runAsUser(scenario, [], { bound: 60_000 });
  assert.equal(run.code, 0, run.stderr);
  const verdict = JSON.parse(run.stdout) as {
    uid: number;
    capabilities: Capabilities;
    unshare: { status: number; stderr: string } | null;
  };
  const caps = verdict.capabilities;
  assert.equal(verdict.uid, user.uid);
  assertConsistent(caps);
  assert.deepEqual(caps.levels.track, { machine: true, implemented: true }, 'track needs no privilege');

  // setpriv leaves the user in root's group, which root owns.
  const { delegated } = caps.cgroup;
  assert.equal(delegated.writable, false);
  assert.ok(delegated.path !== null && caps.cgroup.mounts.some((m) => delegated.path?.startsWith(m.path)));
  assert.match(
    delegated.reason ?? '',
    new RegExp(`^${delegated.path}\\S* is not writable by uid ${user.uid}: EACCES \\(owned by uid 0, mode \\d+\\)`),
  );
  assert.equal(caps.levels.cgroup.why?.startsWith(delegated.reason ?? '?'), true, 'the level says why');
  assert.match(caps.levels.cgroup.fix ?? '', /^run under `systemd-run --user --scope -p Delegate=yes corral …`/);
  assert.match(caps.levels.cgroup.fix ?? '', /or run as root/);

  assert.ok(verdict.unshare !== null, 'unshare(1) ran');
  assert.equal(caps.userns.allowed, verdict.unshare.status === 0, `agrees with unshare(1): ${verdict.unshare.stderr}`);
  assert.equal(caps.userns.allowed, true, 'unprivileged user namespaces are allowed on these machines');
  assert.deepEqual(caps.landlock, (await capabilities()).landlock, 'Landlock needs no privilege');
});

test('negative control: where user.max_user_namespaces is 0, capabilities() says ENOSPC, no sandbox, and the limit to raise', async (t) => {
  if (process.geteuid?.() !== 0) return t.skip('needs root for unshare --map-root-user here');
  // The limit is per user namespace: set to 0 inside a fresh one, it binds that one alone.
  const script = `echo 0 > /proc/sys/user/max_user_namespaces && exec "${process.execPath}" --input-type=module -e "
    const { capabilities } = await import('${join(repoRoot, 'dist', 'index.js')}');
    process.stdout.write(JSON.stringify(await capabilities()));"`;
  const run = spawnSync('unshare', ['--user', '--map-root-user', 'sh', '-c', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const caps = JSON.parse(run.stdout) as Capabilities;
  assertConsistent(caps);
  assert.deepEqual(caps.userns, { allowed: false, errno: 'ENOSPC' });
  assert.equal(caps.levels.sandbox.machine, false);
  assert.match(caps.levels.sandbox.why ?? '', /failed with ENOSPC$/);
  assert.equal(caps.levels.sandbox.fix, 'raise the namespace limit: sysctl -w user.max_user_namespaces=15000');
  assert.equal(caps.pidfd, true, 'the rest is unchanged');
});

test('readCgroup2Mounts() reads pure v2, hybrid and bind-mounted layouts from mountinfo', () => {
  const line = (root: string, path: string, fstype: string, opts = 'rw'): string =>
    `30 23 0:26 ${root} ${path} rw,nosuid shared:4 - ${fstype} ${fstype} ${opts}`;
  assert.deepEqual(readCgroup2Mounts(line('/', '/sys/fs/cgroup', 'cgroup2', 'rw,nsdelegate')), [
    { path: '/sys/fs/cgroup', root: '/', kind: 'unified' },
  ]);
  const hybrid = [
    line('/', '/sys/fs/cgroup/unified', 'cgroup2'),
    line('/', '/sys/fs/cgroup/pids', 'cgroup', 'rw,pids'),
  ];
  assert.deepEqual(readCgroup2Mounts(hybrid.join('\n')), [
    { path: '/sys/fs/cgroup/unified', root: '/', kind: 'hybrid' },
  ]);
  assert.deepEqual(readCgroup2Mounts(line('/docker/abc', '/my\\040cg', 'cgroup2')), [
    { path: '/my cg', root: '/docker/abc', kind: 'unified' },
  ]);
  assert.deepEqual(readCgroup2Mounts(line('/', '/sys/fs/cgroup/pids', 'cgroup', 'rw,pids')), [], 'v1 only');
});

test('cgroupDir() maps a group to its directory through a mount, or null when the mount does not show it', () => {
  const root = { path: '/sys/fs/cgroup', root: '/', kind: 'unified' } as const;
  const bound = { path: '/sys/fs/cgroup', root: '/docker/abc', kind: 'unified' } as const;
  assert.equal(cgroupDir(root, '/'), '/sys/fs/cgroup');
  assert.equal(cgroupDir(root, '/user.slice/x.scope'), '/sys/fs/cgroup/user.slice/x.scope');
  assert.equal(cgroupDir(bound, '/docker/abc'), '/sys/fs/cgroup');
  assert.equal(cgroupDir(bound, '/docker/abc/sub'), '/sys/fs/cgroup/sub');
  assert.equal(cgroupDir(bound, '/docker/abcd'), null);
  assert.equal(readOwnCgroup('12:pids:/x\n0::/user.slice/x.scope\n'), '/user.slice/x.scope');
  assert.equal(readOwnCgroup('12:pids:/x\n'), null, 'v1 only');
});

test('usernsFix() names the sysctl or limit that refused the namespace', () => {
  const none: UsernsSysctls = {
    unprivilegedClone: undefined,
    apparmorRestrict: undefined,
    maxUserNamespaces: 100,
    maxPidNamespaces: 100,
  };
  const table: [string, Partial<UsernsSysctls>, RegExp][] = [
    [
      'EPERM',
      { unprivilegedClone: 0 },
      /^enable unprivileged user namespaces: sysctl -w kernel\.unprivileged_userns_clone=1$/,
    ],
    ['EPERM', { apparmorRestrict: 1 }, /sysctl -w kernel\.apparmor_restrict_unprivileged_userns=0/],
    ['EPERM', {}, /seccomp .* user\.max_user_namespaces/],
    ['ENOSPC', { maxUserNamespaces: 0 }, /^raise the namespace limit: sysctl -w user\.max_user_namespaces=15000$/],
    ['EINVAL', {}, /CONFIG_USER_NS/],
  ];
  for (const [errno, sysctls, expected] of table)
    assert.match(usernsFix(errno, { ...none, ...sysctls }), expected, errno);
});
