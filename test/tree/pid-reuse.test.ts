// "Never a stranger": no signal reaches a process outside the tree, even when the tree's pids
// are handed to strangers the moment they are freed. The scenario runs as init of a fresh
// user+pid namespace, where it can choose the next pid (ns_last_pid) and where everything it
// started dies with it. The negative control shows the same churn makes a bare-pid killer hit.
import assert from 'node:assert/strict';
import { spawn as spawnChild } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/index.js';

interface Verdict {
  mode: string;
  reused: number;
  hits: number;
}

function scenario(mode: 'corral' | 'naive'): Promise<Verdict> {
  return new Promise((resolve, reject) => {
    const child = spawnChild(
      'unshare',
      [
        '--user',
        '--map-root-user',
        '--pid',
        '--fork',
        '--kill-child', // SIGKILL of unshare (the hang guard) kills the namespace's init, and so all in it
        '--mount-proc',
        join(repoRoot, 'bin/corral'),
        'run',
        '--',
        process.execPath,
        join(repoRoot, 'dist-test/scenarios/pid-reuse.js'),
        mode,
        '10',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000); // the namespace dies with it
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      try {
        resolve(JSON.parse(out) as Verdict);
      } catch {
        reject(new Error(`pid-reuse scenario (${mode}) exited ${code} without a verdict: ${out}`));
      }
    });
  });
}

test('no signal from corral reaches a stranger that took a freed pid of the tree', async () => {
  const verdict = await scenario('corral');
  assert.ok(verdict.reused >= 20, `the scenario handed at least 20 freed pids to strangers, got ${verdict.reused}`);
  assert.equal(verdict.hits, 0, 'no stranger was signalled');
});

test('negative control: a bare-pid killer signals strangers under the same churn', async () => {
  const verdict = await scenario('naive');
  assert.ok(verdict.reused >= 20, `the scenario handed at least 20 freed pids to strangers, got ${verdict.reused}`);
  assert.ok(verdict.hits > 0, 'the naive killer hit strangers, so the test above can fail');
});
