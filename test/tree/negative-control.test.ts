// Negative controls: the same escape-prone trees started with plain child_process leak when
// killed the usual ways. They prove that the positive tests (test/scenarios/kill-trees.ts)
// would fail without corral, and that the fixtures escape as they claim to.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import {
  descendantsOf,
  expectAllGone,
  fixture,
  isAlive,
  procState,
  readReport,
  reportedAtLeast,
  reportFile,
  safeCleanup,
  waitFor,
} from '../helpers/index.js';

interface Case {
  fixture: string;
  /** Reported processes once the tree is complete. */
  reports: number;
  /** Report index of the process that escapes (reports come parents first). */
  escaper: number;
  /** The middle exits, so the escaper is re-parented away from main: a ppid walk cannot see it. */
  orphaned: boolean;
}

const cases: Case[] = [
  { fixture: 'double-fork', reports: 3, escaper: 2, orphaned: true },
  { fixture: 'new-session', reports: 2, escaper: 1, orphaned: false },
];

// child.kill() signals main alone; a process-group kill also misses setsid() children.
const killers: Record<string, (child: ChildProcess) => void> = {
  "child.kill('SIGKILL')": (child) => child.kill('SIGKILL'),
  // The group id is main's pid; main is our unreaped child here, so that pid is still its own.
  'a SIGKILL to the process group': (child) => process.kill(-(child.pid as number), 'SIGKILL'),
};

for (const c of cases) {
  for (const [how, killMain] of Object.entries(killers)) {
    test(`child_process: ${how} leaks the ${c.fixture} escaper`, async (t) => {
      const report = reportFile();
      t.after(async () => {
        await safeCleanup(readReport(report.path));
        expectAllGone(readReport(report.path), 'after clean-up');
        report.cleanup();
      });
      const child = spawn(fixture(c.fixture), [], {
        env: { ...process.env, CORRAL_TEST_REPORT: report.path },
        stdio: 'ignore',
        detached: true, // own process group, so the group kill hits nothing of the test's
      });
      const exited = once(child, 'exit');
      const procs = await waitFor(reportedAtLeast(report.path, c.reports), {
        what: `${c.reports} reports from ${c.fixture}`,
      });
      const [main, middle, escaper] = [procs[0], procs[1], procs[c.escaper]];
      assert.ok(main && middle && escaper);
      if (c.orphaned) {
        await waitFor(() => !isAlive(middle), { what: 'the middle to exit' });
        const seen = descendantsOf(main).map((p) => p.pid);
        assert.ok(!seen.includes(escaper.pid), `a ppid walk from main misses the escaper (saw ${seen.join(',')})`);
      }
      killMain(child);
      await exited;
      assert.ok(isAlive(escaper) && procState(escaper) !== 'Z', `the escaper ${escaper.pid} still runs`);
    });
  }
}

test('child_process: when main exits, a setsid() grandchild holding stdout leaks and keeps the pipe open', async (t) => {
  const report = reportFile();
  t.after(async () => {
    await safeCleanup(readReport(report.path));
    report.cleanup();
  });
  const child = spawn(fixture('hold-stdout'), [], {
    env: { ...process.env, CORRAL_TEST_REPORT: report.path },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  child.stdout.resume();
  const closed = once(child, 'close'); // needs EOF on stdout, i.e. every writer gone
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  const procs = await waitFor(reportedAtLeast(report.path, 3), { what: '3 reports from hold-stdout' });
  const grandchild = procs[2];
  assert.ok(grandchild && isAlive(grandchild) && procState(grandchild) !== 'Z', 'the grandchild still runs');
  // While it runs, it holds the write end: the stream cannot have ended (the CI hang).
  assert.equal(child.stdout.readableEnded, false);
  await safeCleanup(procs);
  await closed; // and ending the grandchild is what releases the pipe
  expectAllGone(procs, 'after clean-up');
});
