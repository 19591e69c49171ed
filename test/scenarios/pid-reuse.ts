// Run inside a fresh user+pid namespace whose pid_max is tiny, so pids are reused within
// milliseconds (see test/tree/pid-reuse.test.ts). Strangers (the witness fixture) keep taking
// freed pids and log any signal they get. The mode decides who signals a churning tree:
//   corral: the library (pidfd-verified passes in the reaper);
//   naive:  a bare-pid walk of /proc children, then kill(pid) — what tree-kill-like code does.
// Prints one JSON line: { mode, hits, signalled }.
import { spawn as spawnChild } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from '../../dist/index.js';
import { descendantsOf, fixture, readStat, reportFile } from '../helpers/index.js';

const [mode = 'corral', pidMax = '200', roundsText = '20'] = process.argv.slice(2);
const rounds = Number(roundsText);
writeFileSync('/proc/sys/kernel/pid_max', pidMax);
const log = reportFile();
const witness = spawnChild(fixture('witness'), [], {
  stdio: 'ignore',
  env: { ...process.env, CORRAL_TEST_REPORT: log.path },
});
let signalled = 0;

async function viaCorral(): Promise<void> {
  const tree = await spawn(fixture('churn'), [], { stdio: 'ignore', ignoredSignals: ['SIGUSR1'] });
  await sleep(10);
  for (let i = 0; i < 75; i++) {
    tree.signal('SIGUSR1');
    signalled++;
    await sleep(20); // the same span as the naive walk, densely covered
  }
  await tree.kill('SIGTERM', { grace: 20 });
}

async function naively(): Promise<void> {
  const child = spawnChild('sh', ['-c', `trap '' USR1; exec ${fixture('churn')}`], { stdio: 'ignore' });
  const root = { pid: child.pid as number, start: readStat(child.pid as number)?.start ?? 0 };
  await sleep(10);
  for (let i = 0; i < 10; i++) {
    const pids = descendantsOf(root).map((p) => p.pid);
    await sleep(150); // the gap between listing and signalling of a bare-pid killer (tree-kill runs ps per level)
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGUSR1');
        signalled++;
      } catch {
        // ESRCH: gone, and not yet reused
      }
    }
  }
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
}

try {
  for (let round = 0; round < rounds; round++) await (mode === 'naive' ? naively() : viaCorral());
} finally {
  witness.kill('SIGKILL');
}
const hits = readFileSync(log.path, 'utf8').split('\n').filter(Boolean).length;
log.cleanup();
process.stdout.write(`${JSON.stringify({ mode, hits, signalled })}\n`);
process.exit(0); // the namespace dies with its init, taking the witness's strangers along
