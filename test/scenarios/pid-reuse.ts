// Run as init of a fresh user+pid namespace (see test/tree/pid-reuse.test.ts), where we may
// choose the next pid (ns_last_pid). A churning tree keeps freeing pids; each freed pid is at
// once taken by a stranger (the witness fixture) that logs any signal it gets. The mode decides
// who signals the tree meanwhile:
//   corral: the library (the reaper's pidfd-verified passes), every 10 ms;
//   naive:  a bare-pid walk of /proc children, then kill(pid) a little later — tree-kill's way.
// Prints one JSON line: { mode, reused, hits }.
import { type ChildProcess, spawn as spawnChild } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type Tree } from '../../dist/index.js';
import { descendantsOf, fixture, readStat, reportFile } from '../helpers/index.js';

const [mode = 'corral', roundsText = '10'] = process.argv.slice(2);
const log = reportFile();
const strangers: ChildProcess[] = [];

/** Starts a stranger on exactly `pid` (free now): ns_last_pid makes it the next one handed out. */
function takePid(pid: number): boolean {
  writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
  const child = spawnChild(fixture('witness'), ['5000'], {
    stdio: 'ignore',
    env: { ...process.env, CORRAL_TEST_REPORT: log.path },
  });
  strangers.push(child);
  return child.pid === pid; // else a tree member forked first and got it
}

/** Members listed now, their pids given to strangers once they exit; returns how many were reused. */
async function reuseMembersPids(members: number[]): Promise<number> {
  let reused = 0;
  for (const pid of members) {
    for (let tries = 0; tries < 20 && readStat(pid) !== null; tries++) await sleep(5); // a holder lives 20 ms
    if (readStat(pid) === null && takePid(pid)) reused++;
  }
  return reused;
}

async function round(): Promise<number> {
  if (mode === 'naive') {
    const child = spawnChild('sh', ['-c', `trap '' USR1; exec ${fixture('churn')}`], { stdio: 'ignore' });
    await sleep(20);
    const listed = descendantsOf(child.pid as number).map((p) => p.pid);
    const reused = await reuseMembersPids(listed);
    for (const pid of listed) {
      try {
        process.kill(pid, 'SIGUSR1'); // the bare pid, as listed a moment ago
      } catch {
        // ESRCH: gone and not reused
      }
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    return reused;
  }
  const tree: Tree = await spawn(fixture('churn'), [], { stdio: 'ignore', ignoredSignals: ['SIGUSR1'] });
  const signalling = setInterval(() => tree.signal('SIGUSR1'), 10);
  await sleep(20);
  const reused = await reuseMembersPids(tree.pids().filter((pid) => pid !== tree.pid));
  clearInterval(signalling);
  tree.signal('SIGUSR1');
  await tree.kill('SIGTERM', { grace: 20 });
  return reused;
}

let reused = 0;
try {
  for (let i = 0; i < Number(roundsText); i++) reused += await round();
  await sleep(50); // let the last signals land before the log is read
} finally {
  for (const s of strangers) s.kill('SIGKILL');
}
const hits = readFileSync(log.path, 'utf8').split('\n').filter(Boolean).length;
process.stdout.write(`${JSON.stringify({ mode, reused, hits })}\n`);
process.exit(0); // the namespace dies with its init
