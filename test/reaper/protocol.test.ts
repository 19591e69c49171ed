// The protocol is written down three times (protocol.h, protocol.ts, docs/protocol.md): they must agree.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  commands,
  decodeEvent,
  encodeKill,
  encodeSignal,
  events,
  PROTOCOL_VERSION,
  reaperSignals,
} from '../../dist/reaper/protocol.js';
import { repoRoot } from '../helpers/index.js';

const header = readFileSync(`${repoRoot}/native/reaper/protocol.h`, 'utf8');
const doc = readFileSync(`${repoRoot}/docs/protocol.md`, 'utf8');

function defines(prefix: string): string[] {
  return [...header.matchAll(new RegExp(`#define ${prefix}\\w+ "([\\w-]+)"`, 'g'))].map((m) => m[1] as string).sort();
}

function documented(section: string): string[] {
  const body = doc.split(/^## /m).find((s) => s.startsWith(section)) ?? '';
  return [...body.matchAll(/^\| `([\w-]+)` \|/gm)].map((m) => m[1] as string).sort();
}

test('protocol.h, protocol.ts and docs/protocol.md name the same events', () => {
  const ts = Object.values(events).sort();
  assert.deepEqual(defines('EV_'), ts);
  assert.deepEqual(documented('Events'), ts);
});

test('protocol.h, protocol.ts and docs/protocol.md name the same commands', () => {
  const ts = Object.values(commands).sort();
  assert.deepEqual(defines('CMD_'), ts);
  assert.deepEqual(documented('Commands'), ts);
});

test('both sides speak the same protocol version', () => {
  assert.match(header, new RegExp(`#define CORRAL_PROTOCOL_VERSION ${PROTOCOL_VERSION}\\b`));
  assert.match(doc, new RegExp(`\\(version ${PROTOCOL_VERSION}\\)`));
});

test('events decode into typed fields', () => {
  assert.deepEqual(decodeEvent('hello 1 42'), { type: 'hello', version: 1, pid: 42 });
  assert.deepEqual(decodeEvent('started 7 0'), { type: 'started', pid: 7, init: 0 });
  assert.deepEqual(decodeEvent('started 9 8'), { type: 'started', pid: 9, init: 8 });
  assert.deepEqual(decodeEvent('limits 1 0'), { type: 'limits', oomKills: 1, pidsMaxHits: 0 });
  assert.deepEqual(decodeEvent('exited 3 0 0'), { type: 'exited', exitCode: 3, signal: null, core: false });
  assert.deepEqual(decodeEvent('exited -1 9 1'), { type: 'exited', exitCode: null, signal: 9, core: true });
  assert.deepEqual(decodeEvent('empty 5 3 1500 2500 1024'), {
    type: 'empty',
    totals: { processes: 5, peakProcesses: 3, cpuUserMs: 1.5, cpuSystemMs: 2.5, peakRssKiB: 1024 },
  });
  assert.deepEqual(decodeEvent('warn 2 open /dev/null'), { type: 'warn', errno: 2, what: 'open /dev/null' });
  assert.equal(decodeEvent('from-the-future 1'), undefined);
});

test('commands encode as the reaper parses them', () => {
  assert.equal(encodeSignal(15, true), 'signal 15 1\n');
  assert.equal(encodeSignal(10, false), 'signal 10 0\n');
  assert.equal(encodeKill(), 'kill\n');
});

test('signals to the reaper itself agree: protocol.h, protocol.ts and docs/protocol.md', () => {
  const value = (name: string) => Number(new RegExp(`#define ${name} (\\d+)`).exec(header)?.[1]);
  assert.equal(value('SIG_CONTROLLER_GONE'), reaperSignals.controllerGone);
  assert.equal(value('SIG_KILL_TREE'), reaperSignals.killTree);
  assert.match(doc, new RegExp(`\\| ${reaperSignals.controllerGone} \\(\`SIG_CONTROLLER_GONE\`\\)`));
  assert.match(doc, new RegExp(`\\| ${reaperSignals.killTree} \\(\`SIG_KILL_TREE\`\\)`));
});
