// Runs test/scenarios/kill-trees.ts as the unprivileged user corral-test: the track level
// must contain every escape-prone tree without privilege, and leave no process of that user.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { requireTestUser, runAsUser } from '../helpers/index.js';
import type { ScenarioVerdict } from '../scenarios/kill-trees.js';

const scenario = fileURLToPath(new URL('../scenarios/kill-trees.js', import.meta.url));

test('as an unprivileged user, kill() and timeouts leave no process of any escape-prone tree', async (t) => {
  const user = requireTestUser(t);
  if (user === undefined) return;
  // runAsUser itself asserts that no process of the user is left afterwards.
  const run = await runAsUser(scenario, [], { bound: 120_000 });
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  let verdict: { uid: number; ok: boolean; scenarios: ScenarioVerdict[] };
  try {
    verdict = JSON.parse(line);
  } catch {
    assert.fail(
      `Expected a JSON verdict from the scenario (exit ${run.code ?? run.signal}), got stdout: ${run.stdout}\nstderr: ${run.stderr}`,
    );
  }
  assert.equal(verdict.uid, user.uid, 'the scenario ran as corral-test');
  assert.deepEqual(
    verdict.scenarios.filter((s) => !s.ok),
    [],
    'every scenario left nothing behind and reported the expected outcome',
  );
  assert.ok(verdict.scenarios.length >= 17, `all scenarios ran: ${verdict.scenarios.map((s) => s.name).join(', ')}`);
  assert.equal(run.code, 0, run.stderr);
});
