// list(): every live corral, read from /proc now — identity, members, CPU, memory, start time,
// nesting — and never one whose tree is gone. Other test files run corrals meanwhile, so every
// check picks out this file's own corrals by id.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { type CorralInfo, list, spawn, type Tree } from '../../dist/index.js';
import { bounded, fixture, readStat, repoRoot, startReported, waitFor } from '../helpers/index.js';

const start = startReported;

function listed(id: string): CorralInfo | undefined {
  return list().find((c) => c.id === id);
}

/** The reaper has exited (or is a zombie its parent has not reaped yet). */
function reaperGone(tree: Tree, start: number): boolean {
  const stat = readStat(tree.reaperPid);
  return stat === null || stat.start !== start || stat.state === 'Z';
}

test('list() shows a live corral: id, name, level, uid, pids, command, members, memory, start time', async (t) => {
  const before = Date.now();
  const { tree, procs } = await start(t, fixture('wide'), ['4'], 5, { name: 'list-wide' });
  const after = Date.now();
  const info = listed(tree.id);
  assert.ok(info, 'listed');
  const reaper = readStat(tree.reaperPid);
  assert.ok(reaper);
  const { startedAt, cpuMs, rssKiB, ...rest } = info;
  assert.deepEqual(rest, {
    id: tree.id,
    name: 'list-wide',
    level: tree.level,
    ...(tree.cgroup ? { cgroup: tree.cgroup } : {}),
    reaperPid: tree.reaperPid,
    reaperStart: reaper.start,
    pid: tree.pid,
    command: [fixture('wide'), '4'],
    uid: process.getuid?.(),
    processes: procs.length,
    parentId: undefined,
    orphaned: false,
  });
  assert.equal(procs.length, 5, 'main and its 4 children');
  assert.ok(rssKiB > 0, `rssKiB > 0, got ${rssKiB}`);
  assert.ok(cpuMs >= 0, `cpuMs >= 0, got ${cpuMs}`);
  // Start times count 10 ms ticks since boot; the slack only absorbs that and clock rounding,
  // it catches a wrong epoch or unit (ticks taken for ms, boot time forgotten) by far.
  const slack = 1000;
  assert.ok(
    startedAt.getTime() >= before - slack && startedAt.getTime() <= after + slack,
    `startedAt ${startedAt.toISOString()} is within the spawn (${new Date(before).toISOString()} … ${new Date(after).toISOString()})`,
  );
});

test('list() shows every live corral, each with its own members', async (t) => {
  const trees = [];
  for (let n = 0; n < 5; n++) trees.push({ n, ...(await start(t, fixture('wide'), [String(n)], n + 1)) });
  const all = list();
  for (const { n, tree, procs } of trees) {
    const info = all.find((c) => c.id === tree.id);
    assert.ok(info, `corral ${n} is listed`);
    assert.deepEqual(
      [info.pid, info.reaperPid, info.processes],
      [tree.pid, tree.reaperPid, n + 1],
      `corral ${n}: main, reaper, members`,
    );
    assert.equal(procs.length, n + 1);
  }
});

test('list() cpuMs grows while the tree burns CPU, and stays low for an idle one', async (t) => {
  const { tree: burning } = await start(t, fixture('burn-cpu'), ['600000', '1'], 2);
  const { tree: idle } = await start(t, fixture('forever'), [], 1);
  const first = await waitFor(() => (listed(burning.id)?.cpuMs ?? 0) >= 50 && listed(burning.id)?.cpuMs, {
    what: 'the burning tree to reach 50 ms of CPU',
  });
  const later = await waitFor(() => (listed(burning.id)?.cpuMs ?? 0) > first && listed(burning.id)?.cpuMs, {
    what: 'its CPU time to grow further',
  });
  assert.ok(later > first);
  const idleCpu = listed(idle.id)?.cpuMs;
  assert.ok(idleCpu !== undefined && idleCpu < first, `the idle tree used ${idleCpu} ms, the burning one ${later}`);
});

test('list() shows a nested corral with parentId = the enclosing corral', async (t) => {
  const script = [
    'const { spawn } = await import(process.argv[1]);',
    "const inner = await spawn(process.argv[2], process.argv.slice(3), { stdio: 'ignore', name: 'list-inner' });",
    'process.stdout.write("inner " + inner.id + "\\n");',
    'await inner.done;',
  ].join('\n');
  const index = pathToFileURL(join(repoRoot, 'dist/index.js')).href;
  const { tree: outer } = await start(
    t,
    process.execPath,
    ['--input-type=module', '-e', script, index, fixture('chain'), '3'],
    3,
    { stdio: ['ignore', 'pipe', 'inherit'], name: 'list-outer' },
  );
  let out = '';
  outer.stdout?.on('data', (d) => (out += d));
  const innerId = (await waitFor(() => /^inner (\w+)$/m.exec(out), { what: 'the nested corral to start' }))[1];
  const all = list();
  const inner = all.find((c) => c.id === innerId);
  const enclosing = all.find((c) => c.id === outer.id);
  assert.ok(inner && enclosing, 'both are listed');
  assert.equal(inner.parentId, outer.id);
  assert.equal(inner.name, 'list-inner');
  assert.equal(inner.processes, 3, 'the chain of 3');
  assert.equal(enclosing.parentId, undefined);
  assert.equal(enclosing.processes, 5, 'node, the inner reaper and the chain of 3');
});

test('list() no longer shows a killed corral once its reaper has exited', async (t) => {
  const { tree } = await start(t, fixture('forever'), [], 1);
  const reaperStart = readStat(tree.reaperPid)?.start ?? -1;
  assert.ok(listed(tree.id), 'listed while it runs');
  await tree.kill('SIGKILL');
  await waitFor(() => reaperGone(tree, reaperStart), { what: 'the reaper to exit' });
  assert.equal(listed(tree.id), undefined);
});

test('list() never shows a corral whose tree is gone: absent as soon as `await tree.done` returns', {}, async () => {
  // One round is a race the library wins most of the time; 40 rounds show whether it can lose.
  const seen: CorralInfo[] = [];
  for (let round = 0; round < 40; round++) {
    const tree = await spawn(fixture('exit-code'), ['0'], { stdio: 'ignore' });
    await bounded(tree.done, 10_000, 'a tree of one process that exits at once');
    const info = listed(tree.id);
    if (info) seen.push(info);
  }
  assert.deepEqual(
    seen.map((c) => `${c.id}: ${c.processes} processes, main ${c.pid}`),
    [],
    `listed after done in ${seen.length} of 40 rounds`,
  );
});
