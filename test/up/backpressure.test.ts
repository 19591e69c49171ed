// A reader slower than the services: `corral up`'s stdout pushes back (the services' pipes fill
// and they wait), and every line arrives, whole and in order, even after corral up has decided
// to exit. (Before: lines queued in the supervisor without bound and the tail was lost at exit.)
import assert from 'node:assert/strict';
import { spawn as spawnChild } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { test } from 'node:test';
import { gateOn, readLines } from '../../dist/up/supervisor/lines.js';
import { bounded } from '../helpers/index.js';
import { corralBin, tmpProject } from './project.js';

test('readLines pauses its source while the gate is blocked and resumes it on drain', async () => {
  const source = new PassThrough();
  const got: string[] = [];
  let pausedSeen = false;
  const sink = new Writable({
    highWaterMark: 64,
    write(chunk, _encoding, done) {
      got.push(...String(chunk).split('\n').filter(Boolean));
      pausedSeen ||= source.isPaused();
      setImmediate(done); // slower than the source
    },
  });
  const gate = gateOn(sink);
  const ended = new Promise<void>((resolve) =>
    readLines(source, (line) => sink.write(`${line}\n`) || gate.block(), resolve, gate),
  );
  for (let i = 0; i < 2000; i++) source.write(`line ${i}\n`);
  source.end();
  await bounded(ended, 20_000, 'the source to end');
  await new Promise<void>((resolve) => sink.end(resolve));
  assert.equal(pausedSeen, true, 'the source was paused while the sink was behind');
  assert.deepEqual(
    got,
    Array.from({ length: 2000 }, (_, i) => `line ${i}`),
  );
});

test('corral up to a slow reader: every line of every service arrives, in order', async (t) => {
  const project = tmpProject(t);
  const n = 20_000;
  writeFileSync(
    join(project.dir, 'Procfile'),
    ['a', 'b'].map((s) => `${s}: awk 'BEGIN { for (i = 0; i < ${n}; i++) print "${s}", i }'`).join('\n'),
  );
  const child = spawnChild(corralBin, ['up'], {
    cwd: project.dir,
    env: project.env,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  t.after(() => child.kill('SIGKILL'));
  const seen = { a: 0, b: 0 } as Record<string, number>;
  let disorder = 0;
  let buffered = '';
  // One chunk per timer turn: far slower than two awk loops.
  child.stdout.on('data', (chunk: Buffer) => {
    child.stdout.pause();
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^(a|b)\s+\| (a|b) (\d+)$/.exec(line);
      if (!m || m[1] !== m[2] || Number(m[3]) !== seen[m[1] as string]) disorder++;
      else seen[m[1] as string]++;
    }
    setTimeout(() => child.stdout.resume(), 1);
  });
  const code = await bounded(new Promise((resolve) => child.once('close', resolve)), 120_000, 'corral up to end');
  assert.equal(code, 0);
  assert.deepEqual(seen, { a: n, b: n }, 'every line of each service, none lost');
  assert.equal(disorder, 0, 'none cut, merged or out of order');
});
