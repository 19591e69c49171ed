// Run as the unprivileged user by test/kernel/capabilities.test.ts (via runAsUser): prints one
// JSON line with this user's capabilities() and, as an independent witness, whether util-linux
// unshare(1) can make a user + pid namespace and fork inside (status 0) for the same user.
import { spawnSync } from 'node:child_process';
import { capabilities } from '../../dist/index.js';

const unshare = spawnSync('unshare', ['--user', '--pid', '--fork', 'true'], { encoding: 'utf8' });
const verdict = {
  uid: process.getuid?.(),
  capabilities: await capabilities(),
  unshare: unshare.error ? null : { status: unshare.status, stderr: unshare.stderr.trim() },
};
process.stdout.write(`${JSON.stringify(verdict)}\n`);
