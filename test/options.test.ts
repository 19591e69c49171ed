// Bad input is rejected before any process exists, with a message naming the option, the value and a fix.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidOptionError, parseDuration, run, spawn } from '../dist/index.js';
import { descendantsOf, readStat } from './helpers/index.js';

const self = { pid: process.pid, start: readStat(process.pid)?.start ?? 0 };

const cases: [string, () => Promise<unknown>, string, RegExp][] = [
  ['empty file', () => spawn(''), 'file', /Expected `file` to be a non-empty string, got ``/],
  [
    'args not an array',
    () => spawn('ls', '-l' as unknown as string[]),
    'args',
    /Expected `args` to be an array of strings, got `"-l"`. Use e.g./,
  ],
  [
    'negative timeout',
    () => spawn('true', [], { timeout: -1 }),
    'timeout',
    /^Expected `timeout` to be a non-negative duration, got `-1`. Use e.g. 30s, 1.5m, 2h, 5000 \(ms\) or 0 for none.$/,
  ],
  ['timeout typo', () => spawn('true', [], { timeout: '5 min' }), 'timeout', /got `5 min`/],
  [
    'bad killSignal',
    () => spawn('true', [], { killSignal: 'SIGNOPE' }),
    'killSignal',
    /^Expected `killSignal` to be a signal name or number, got `SIGNOPE`. Use e.g. SIGTERM, TERM, INT or 9.$/,
  ],
  ['bad killAfter', () => spawn('true', [], { killAfter: 'soon' }), 'killAfter', /got `soon`/],
  [
    'bad stdio',
    () => spawn('true', [], { stdio: 'pipes' as 'pipe' }),
    'stdio',
    /Expected `stdio` to be 'pipe', 'inherit', 'ignore'/,
  ],
  ['bad leftovers', () => spawn('true', [], { leftovers: 'keep' as 'kill' }), 'leftovers', /got `keep`/],
  [
    'unknown level',
    () => spawn('true', [], { level: 'vm' as 'auto' }),
    'level',
    /Expected `level` to be one of 'auto', 'track', 'cgroup', 'sandbox', got `vm`/,
  ],
  ['bad maxProcesses', () => spawn('true', [], { maxProcesses: 0 }), 'maxProcesses', /at least 1, got `0`/],
  ['bad maxMemory', () => spawn('true', [], { maxMemory: '12 parsecs' }), 'maxMemory', /size like '512M'/],
  ['bad maxCpu', () => spawn('true', [], { maxCpu: 0 }), 'maxCpu', /number of CPUs from 0.01 to 10000/],
  ['bad maxCpu string', () => spawn('true', [], { maxCpu: 'half' }), 'maxCpu', /0.5 is half of one CPU/],
  ['relative writable', () => spawn('true', [], { readOnly: true, writable: ['tmp'] }), 'writable', /absolute paths/],
  ['writable without readOnly', () => spawn('true', [], { writable: ['/tmp'] }), 'writable', /with `readOnly: true`/],
  ['bad network', () => spawn('true', [], { network: 'no' as never }), 'network', /true or false/],
  ['bad name', () => spawn('true', [], { name: 'has space' }), 'name', /got `has space`. Use e.g. 'web'/],
  ['unknown option', () => spawn('true', [], { timout: 5 } as never), 'timout', /Unknown option `timout`/],
  [
    'missing cwd',
    () => spawn('true', [], { cwd: '/nonexistent/dir' }),
    'cwd',
    /existing directory we may enter, got `\/nonexistent\/dir`/,
  ],
  ['bad maxBuffer', () => run('true', [], { maxBuffer: -5 }), 'maxBuffer', /got `-5`/],
];

for (const [what, call, option, message] of cases) {
  test(`rejects ${what} before any process exists`, async () => {
    await assert.rejects(call(), (error: unknown) => {
      assert.ok(error instanceof InvalidOptionError, `InvalidOptionError, got ${String(error)}`);
      assert.equal(error.code, 'CORRAL_ERR_INVALID_OPTION');
      assert.equal(error.option, option);
      assert.match(error.message, message);
      return true;
    });
    assert.deepEqual(descendantsOf(self), [], 'no process was started');
  });
}

test('durations follow GNU timeout: s m h d suffixes, fractions, bare seconds', () => {
  const table: [string, number | undefined][] = [
    ['10', 10_000],
    ['1.5', 1500],
    ['.5', 500],
    ['2s', 2000],
    ['1.5m', 90_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['0', 0],
    ['1e1', 10_000],
    ['inf', Number.POSITIVE_INFINITY],
    ['-1', undefined],
    ['5x', undefined],
    ['', undefined],
    ['1 m', undefined],
    ['m', undefined],
  ];
  for (const [text, ms] of table) assert.equal(parseDuration(text), ms, text);
});
