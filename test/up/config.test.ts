// corral up's configuration: a Procfile or corral.yaml becomes a ProjectConfig, and every bad
// config is one ConfigError naming file, line, column and field, with a hint.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError, loadProject, NoConfigError, parseDotenv } from '../../dist/up/config/index.js';
import type { ServiceConfig } from '../../dist/up/types.js';

const root = mkdtempSync(join(tmpdir(), 'corral-config-'));
after(() => rmSync(root, { recursive: true, force: true }));

let count = 0;
/** A fresh project directory holding `files` (name → text). */
function project(files: Record<string, string>, name = `p${++count}`): string {
  const dir = join(root, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** As ConfigError prints a file: relative to the working directory when under it. */
function shown(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

interface Expected {
  file?: string; // default: corral.yaml in the project
  line: number | undefined;
  column: number | undefined;
  field: string | undefined;
  message: string; // after `file:line:column: `
  hint?: RegExp;
}

function rejects(dir: string, expected: Expected, options: { file?: string } = {}): void {
  assert.throws(
    () => loadProject({ dir, env: {}, ...options }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `a ConfigError, got ${String(error)}`);
      const file = expected.file ?? join(dir, 'corral.yaml');
      const at =
        expected.line === undefined
          ? ''
          : `:${expected.line}${expected.column === undefined ? '' : `:${expected.column}`}`;
      assert.equal(error.message, `${shown(file)}${at}: ${expected.message}`);
      assert.equal(error.code, 'CORRAL_ERR_CONFIG');
      assert.equal(error.file, file);
      assert.equal(error.line, expected.line);
      assert.equal(error.column, expected.column);
      assert.equal(error.field, expected.field);
      if (expected.hint) assert.match(error.hint ?? '', expected.hint);
      return true;
    },
  );
}

const yaml = (text: string) => project({ 'corral.yaml': text });
const named = (services: ServiceConfig[]) => services.map((s) => s.name);

// ---- Procfile

test('a Procfile line is a service run by sh -c, with every default', () => {
  const dir = project({
    Procfile: '# the app\n\nweb: node server.js --port $PORT\r\nworker:   sh -c "echo a:b"  \n  clock: ./clock\n',
  });
  const config = loadProject({ dir, env: { PATH: '/bin', GONE: undefined } });
  assert.equal(config.file, join(dir, 'Procfile'));
  assert.equal(config.dir, dir);
  assert.equal(config.project, 'p1');
  assert.deepEqual(config.services[0], {
    name: 'web',
    argv: ['sh', '-c', 'node server.js --port $PORT'],
    cwd: dir,
    env: { PATH: '/bin' },
    restart: 'no',
    backoff: { initialMs: 500, maxDelayMs: 30_000, maxRestarts: 5, windowMs: 60_000 },
    stopSignal: 'SIGTERM',
    stopGraceMs: 5000,
    level: 'auto',
    limits: {},
    dependsOn: [],
    ready: null,
    scale: 1,
    source: { file: join(dir, 'Procfile'), line: 3 },
  });
  assert.deepEqual(
    config.services.map((s) => [s.name, s.argv[2], s.source.line]),
    [
      ['web', 'node server.js --port $PORT', 3],
      ['worker', 'sh -c "echo a:b"', 4],
      ['clock', './clock', 5],
    ],
  );
});

test('the .env beside a Procfile sits between the inherited environment and the service', () => {
  const dir = project({
    Procfile: 'web: run\n',
    '.env': [
      '# comment',
      'PORT=5000',
      'export DEBUG=1',
      "SINGLE='a $HOME \\n b'",
      'DOUBLE="line1\\nline2 \\"q\\""',
      'PLAIN=some value # a comment',
      'HASH=#fff',
      'EMPTY=',
      'CMD=$(rm -rf /)',
      'SPACED = x',
      '',
    ].join('\n'),
  });
  const [web] = loadProject({ dir, env: { PORT: '80', HOME: '/root' } }).services;
  assert.deepEqual(web?.env, {
    PORT: '5000',
    HOME: '/root',
    DEBUG: '1',
    SINGLE: 'a $HOME \\n b',
    DOUBLE: 'line1\nline2 "q"',
    PLAIN: 'some value',
    HASH: '#fff',
    EMPTY: '',
    CMD: '$(rm -rf /)',
    SPACED: 'x',
  });
});

test('Procfile mistakes name the line and what is expected', () => {
  const procfile = (text: string) => project({ Procfile: text });
  const cases: [string, Expected][] = [
    [
      'web: ok\nthis line has no colon\n',
      { line: 2, column: 1, field: undefined, message: 'expected `name: command`, got `this line has no colon`' },
    ],
    [
      '\nweb.1: run\n',
      {
        line: 2,
        column: 1,
        field: 'web.1',
        message: 'invalid service name `web.1`: expected letters, digits, `_` and `-`',
      },
    ],
    ['web:   \n', { line: 1, column: 5, field: 'web', message: 'service `web` has no command' }],
    [
      'web: a\n# x\nworker: b\nweb: c\n',
      {
        line: 4,
        column: 1,
        field: 'web',
        message: 'duplicate service `web` (first defined on line 1)',
        hint: /scale/,
      },
    ],
    ['# nothing\n\n', { line: undefined, column: undefined, field: undefined, message: 'defines no services' }],
  ];
  for (const [text, expected] of cases) {
    const dir = procfile(text);
    rejects(dir, { ...expected, file: join(dir, 'Procfile') });
  }
});

test('a bad .env line is reported in the .env file', () => {
  let dir = project({ Procfile: 'web: run\n', '.env': 'A=1\nnot an assignment\n' });
  rejects(dir, {
    file: join(dir, '.env'),
    line: 2,
    column: 1,
    field: undefined,
    message: 'expected `KEY=VALUE`, got `not an assignment`',
  });
  dir = project({ Procfile: 'web: run\n', '.env': 'A=1\n\nB="open\n' });
  rejects(dir, {
    file: join(dir, '.env'),
    line: 3,
    column: 3,
    field: undefined,
    message: 'the value of B opens a " quote that this line does not close',
  });
  assert.throws(
    () => parseDotenv("A='x' y\n", '/x/.env'),
    /^ConfigError: \/x\/.env:1:6: unexpected `y` after the quoted value of A$/,
  );
});

// ---- finding the file

test('corral.yaml, then corral.yml, then Procfile; `file` names another', () => {
  const both = project({ Procfile: 'a: run\n', 'corral.yaml': 'services: { b: { command: run } }\n' });
  assert.deepEqual(named(loadProject({ dir: both }).services), ['b']);
  const yml = project({ Procfile: 'a: run\n', 'corral.yml': 'services: { c: { command: run } }\n' });
  assert.equal(loadProject({ dir: yml }).file, join(yml, 'corral.yml'));
  const dev = project({ Procfile: 'a: run\n', 'Procfile.dev': 'd: run\n' });
  assert.deepEqual(named(loadProject({ dir: dev, file: 'Procfile.dev' }).services), ['d']);
});

test('no config: the error says which files were looked for', () => {
  const dir = project({});
  assert.throws(
    () => loadProject({ dir }),
    (error: unknown) => {
      assert.ok(error instanceof NoConfigError);
      assert.equal(error.code, 'CORRAL_ERR_NO_CONFIG');
      assert.equal(error.message, `${shown(dir)}: no corral.yaml, corral.yml or Procfile here`);
      assert.deepEqual(error.looked, [join(dir, 'corral.yaml'), join(dir, 'corral.yml'), join(dir, 'Procfile')]);
      assert.match(error.hint ?? '', /corral\.yaml or a Procfile/);
      return true;
    },
  );
  assert.throws(
    () => loadProject({ dir, file: 'other.yaml' }),
    (error: unknown) =>
      error instanceof NoConfigError && error.message === `${shown(join(dir, 'other.yaml'))}: no such file`,
  );
});

// ---- corral.yaml

test('corral.yaml: every field, read into the ServiceConfig', () => {
  const dir = project({
    'corral.yaml': `name: shop
services:
  db:
    command: [postgres, -D, data, -p, 5432]
    cwd: db
    env: { PGDATA: data, ATTEMPTS: 3, VERSION: 1.10, HEX: 0x1F, ON: true, ANSWER: no }
    env_file: db.env
    restart: on-failure
    backoff: { initial: 250ms, max: 1m, max_restarts: 0, window: 2m }
    stop_signal: INT
    stop_grace: 1.5s
    level: cgroup
    max_procs: 50
    max_memory: 512M
    max_cpu: 1.5
    network: false
    ready: { port: 5432, host: ::1, timeout: 2m }
    scale: 2
  web:
    command: node server.js
    depends_on: [db]
    ready: { log: listening on }
  check:
    command: sleep 1
    ready:
      command: [pg_isready, -q]
      interval: 250ms
`,
    'db.env': 'FROM_FILE=1\n',
  });
  const config = loadProject({ dir, env: { PATH: '/bin' } });
  const file = join(dir, 'corral.yaml');
  assert.equal(config.project, 'shop');
  assert.deepEqual(config.services[0], {
    name: 'db',
    argv: ['postgres', '-D', 'data', '-p', '5432'],
    cwd: join(dir, 'db'),
    env: {
      PATH: '/bin',
      FROM_FILE: '1',
      PGDATA: 'data',
      ATTEMPTS: '3',
      VERSION: '1.10',
      HEX: '0x1F',
      ON: 'true',
      ANSWER: 'no',
    },
    restart: 'on-failure',
    backoff: { initialMs: 250, maxDelayMs: 60_000, maxRestarts: 0, windowMs: 120_000 },
    stopSignal: 'SIGINT',
    stopGraceMs: 1500,
    level: 'cgroup',
    limits: { maxProcesses: 50, maxMemory: 512 * 2 ** 20, maxCpu: 1.5, network: false },
    dependsOn: [],
    ready: { kind: 'port', port: 5432, host: '::1', timeoutMs: 120_000 },
    scale: 2,
    source: { file, line: 3 },
  });
  const [, web, check] = config.services;
  assert.deepEqual(web?.argv, ['sh', '-c', 'node server.js']);
  assert.deepEqual(web?.ready, { kind: 'log', pattern: 'listening on', timeoutMs: 60_000 });
  assert.deepEqual(web?.source, { file, line: 19 });
  assert.equal(web?.restart, 'no');
  assert.deepEqual(check?.ready, { kind: 'command', argv: ['pg_isready', '-q'], intervalMs: 250, timeoutMs: 60_000 });
  assert.deepEqual(check?.source, { file, line: 23 });
});

test('`restart: no` stays the string no (YAML 1.2), and `false` means no too', () => {
  const config = loadProject({
    dir: yaml(
      'services:\n  a: { command: x, restart: no }\n  b: { command: x, restart: false }\n  c: { command: x, restart: always }\n',
    ),
    env: {},
  });
  assert.deepEqual(
    config.services.map((s) => s.restart),
    ['no', 'no', 'always'],
  );
});

test('defaults of a corral.yaml service match a Procfile line; ready defaults', () => {
  const dir = yaml(
    'services:\n  a:\n    command: run\n    ready: { port: 8080 }\n  b:\n    command: run\n    ready: { command: probe }\n    backoff: { initial: 45s }\n',
  );
  const [a, b] = loadProject({ dir, env: {} }).services;
  const { name, argv, ready, source, ...rest } = a as ServiceConfig;
  assert.deepEqual(rest, {
    cwd: dir,
    env: {},
    restart: 'no',
    backoff: { initialMs: 500, maxDelayMs: 30_000, maxRestarts: 5, windowMs: 60_000 },
    stopSignal: 'SIGTERM',
    stopGraceMs: 5000,
    level: 'auto',
    limits: {},
    dependsOn: [],
    scale: 1,
  });
  assert.deepEqual(ready, { kind: 'port', port: 8080, host: '127.0.0.1', timeoutMs: 60_000 });
  assert.deepEqual(b?.ready, { kind: 'command', argv: ['sh', '-c', 'probe'], intervalMs: 1000, timeoutMs: 60_000 });
  assert.deepEqual(b?.backoff, { initialMs: 45_000, maxDelayMs: 45_000, maxRestarts: 5, windowMs: 60_000 });
});

test('environment: process env < env_file(s) in order < env', () => {
  const dir = project({
    'corral.yaml':
      'services:\n  a:\n    command: x\n    env_file: [one.env, sub/two.env]\n    env: { C: from-env }\n  b:\n    command: x\n    env_file: one.env\n',
    'one.env': 'A=one\nB=one\nC=one\n',
    'sub/two.env': 'B=two\nC=two\n',
  });
  const [a, b] = loadProject({ dir, env: { A: 'process', B: 'process', C: 'process', D: 'process' } }).services;
  assert.deepEqual(a?.env, { A: 'one', B: 'two', C: 'from-env', D: 'process' });
  assert.deepEqual(b?.env, { A: 'one', B: 'one', C: 'one', D: 'process' });
});

test('services come dependencies first, ties in file order', () => {
  const dir = yaml(`services:
  web: { command: x, depends_on: [api, db] }
  api: { command: x, depends_on: [db] }
  db: { command: x }
  worker: { command: x, depends_on: [queue] }
  queue: { command: x }
  cron: { command: x }
`);
  const services = loadProject({ dir, env: {} }).services;
  assert.deepEqual(named(services), ['db', 'api', 'web', 'queue', 'worker', 'cron']);
  assert.deepEqual(
    services.map((s) => s.source.line),
    [4, 3, 2, 6, 5, 7],
  );
});

test('project name: `name:`, else the directory name made safe', () => {
  assert.equal(loadProject({ dir: project({ Procfile: 'a: x\n' }, 'my app (v2)') }).project, 'my_app__v2_');
  assert.equal(loadProject({ dir: project({ Procfile: 'a: x\n' }, '.hidden') }).project, 'hidden');
  rejects(yaml('name: my shop\nservices: { a: { command: x } }\n'), {
    line: 1,
    column: 7,
    field: 'name',
    message: 'expected `name` to be a project name of letters, digits, `_`, `.` and `-`, got "my shop"',
    hint: /name: shop/,
  });
});

test('x- keys are ignored and merge keys bring fields in from anchors', () => {
  const dir = yaml(`x-defaults: &defaults
  restart: always
  stop_grace: 10s
services:
  web:
    <<: *defaults
    command: x
    x-note: ignored
`);
  const [web] = loadProject({ dir, env: {} }).services;
  assert.equal(web?.restart, 'always');
  assert.equal(web?.stopGraceMs, 10_000);
  // A bad value brought in by a merge key is reported where the anchor wrote it.
  rejects(yaml('x-d: &d\n  scale: 0\nservices:\n  web:\n    <<: *d\n    command: x\n'), {
    line: 2,
    column: 10,
    field: 'services.web.scale',
    message: 'expected `services.web.scale` to be a whole number of at least 1, got 0',
  });
});

// ---- corral.yaml mistakes: one message each, at the line and column of the problem

const mistakes: [string, string, Expected][] = [
  [
    'a YAML syntax error',
    'services:\n  web: command: x\n',
    {
      line: 2,
      column: 8,
      field: undefined,
      message: 'YAML syntax error: Nested mappings are not allowed in compact mappings',
      hint: /indentation/,
    },
  ],
  [
    'a tab as indentation',
    'services:\n  web:\n    command: x\n\tscale: 2\n',
    { line: 4, column: 1, field: undefined, message: 'YAML syntax error: Tabs are not allowed as indentation' },
  ],
  [
    'a duplicate key',
    'services:\n  web: { command: x }\n  web: { command: y }\n',
    { line: 3, column: 3, field: undefined, message: 'YAML syntax error: Map keys must be unique' },
  ],
  [
    'an unknown top-level key',
    'servces:\n  web: { command: x }\n',
    {
      line: 1,
      column: 1,
      field: 'servces',
      message: 'unknown key `servces`; did you mean `services`?',
      hint: /^top-level keys are name, services \(keys starting with x- are ignored\)$/,
    },
  ],
  [
    'an unknown service key',
    'services:\n  web:\n    command: x\n    restrat: always\n',
    {
      line: 4,
      column: 5,
      field: 'services.web.restrat',
      message: 'unknown key `services.web.restrat`; did you mean `restart`?',
      hint: /^keys of `services.web` are command, cwd, env, env_file, restart, backoff, stop_signal, stop_grace, level, max_procs, max_memory, max_cpu, network, depends_on, ready, scale$/,
    },
  ],
  [
    'a key from docker compose',
    'services:\n  web:\n    command: x\n    environment: { A: 1 }\n',
    {
      line: 4,
      column: 5,
      field: 'services.web.environment',
      message: 'unknown key `services.web.environment`; did you mean `env`?',
    },
  ],
  [
    'an unknown key with nothing close',
    'services:\n  web:\n    command: x\n    zzzzzz: 1\n',
    { line: 4, column: 5, field: 'services.web.zzzzzz', message: 'unknown key `services.web.zzzzzz`' },
  ],
  [
    'an unknown key in ready',
    'services:\n  web:\n    command: x\n    ready: { prot: 80 }\n',
    {
      line: 4,
      column: 14,
      field: 'services.web.ready.prot',
      message: 'unknown key `services.web.ready.prot`; did you mean `port`?',
      hint: /are port, host, log, command, interval, timeout$/,
    },
  ],
  [
    'an unknown key in backoff',
    'services:\n  web:\n    command: x\n    backoff:\n      intial: 1s\n',
    {
      line: 5,
      column: 7,
      field: 'services.web.backoff.intial',
      message: 'unknown key `services.web.backoff.intial`; did you mean `initial`?',
    },
  ],
  [
    'a restart policy that does not exist',
    'services:\n  web:\n    command: x\n    restart: sometimes\n',
    {
      line: 4,
      column: 14,
      field: 'services.web.restart',
      message: 'expected `services.web.restart` to be `no`, `on-failure` or `always`, got "sometimes"',
      hint: /restart: on-failure/,
    },
  ],
  [
    'a quoted number for scale',
    'services:\n  web:\n    command: x\n    scale: "2"\n',
    {
      line: 4,
      column: 12,
      field: 'services.web.scale',
      message: 'expected `services.web.scale` to be a whole number of at least 1, got "2"',
    },
  ],
  [
    'max_procs below 1',
    'services:\n  web: { command: x, max_procs: 0 }\n',
    {
      line: 2,
      column: 33,
      field: 'services.web.max_procs',
      message: 'expected `services.web.max_procs` to be a whole number of at least 1, got 0',
    },
  ],
  [
    'an unknown signal',
    'services:\n  web:\n    command: x\n    stop_signal: SIGNOPE\n',
    {
      line: 4,
      column: 18,
      field: 'services.web.stop_signal',
      message: 'expected `services.web.stop_signal` to be a signal name or number, got "SIGNOPE"',
    },
  ],
  [
    'a duration without a unit',
    'services:\n  web:\n    command: x\n    stop_grace: 5\n',
    {
      line: 4,
      column: 17,
      field: 'services.web.stop_grace',
      message: 'expected `services.web.stop_grace` to be a duration like 500ms, 5s or 1m (0: SIGKILL at once), got 5',
      hint: /^give it a unit: `5s` or `5ms`$/,
    },
  ],
  [
    'a bad size',
    'services:\n  web:\n    command: x\n    max_memory: lots\n',
    {
      line: 4,
      column: 17,
      field: 'services.web.max_memory',
      message: 'expected `services.web.max_memory` to be a size like 512M or 1G, or a number of bytes, got "lots"',
    },
  ],
  [
    'a duration beyond what a timer can wait',
    'services:\n  web:\n    command: x\n    ready: { port: 80, timeout: 30d }\n',
    {
      line: 4,
      column: 33,
      field: 'services.web.ready.timeout',
      message: 'expected `services.web.ready.timeout` to be a positive duration like 30s or 5m, at most 24d, got "30d"',
    },
  ],
  [
    'a bad CPU limit',
    'services:\n  web:\n    command: x\n    max_cpu: 0\n',
    {
      line: 4,
      column: 14,
      field: 'services.web.max_cpu',
      message: 'expected `services.web.max_cpu` to be a number of CPUs from 0.01 to 10000, got 0',
    },
  ],
  [
    'a string for network',
    'services:\n  web:\n    command: x\n    network: "off"\n',
    {
      line: 4,
      column: 14,
      field: 'services.web.network',
      message: 'expected `services.web.network` to be `true` or `false`, got "off"',
    },
  ],
  [
    'a list of maps for env',
    'services:\n  web:\n    command: x\n    env:\n      - A: 1\n',
    {
      line: 5,
      column: 7,
      field: 'services.web.env',
      message: 'expected `services.web.env` to be a map of variable names to values, got a list',
    },
  ],
  [
    'a list as an env value',
    'services:\n  web:\n    command: x\n    env:\n      A: [1]\n',
    {
      line: 5,
      column: 10,
      field: 'services.web.env.A',
      message: 'expected `services.web.env.A` to be a string, a number or true/false, got a list',
    },
  ],
  [
    'an empty command list',
    'services:\n  web:\n    command: []\n',
    {
      line: 3,
      column: 14,
      field: 'services.web.command',
      message:
        'expected `services.web.command` to be a string (run by `sh -c`) or a non-empty list of strings (the argv), got an empty list',
    },
  ],
  [
    'a missing command',
    'services:\n  db:\n    command: x\n  web:\n    restart: always\n',
    {
      line: 4,
      column: 3,
      field: 'services.web.command',
      message:
        'missing `services.web.command`: expected a string (run by `sh -c`) or a non-empty list of strings (the argv)',
      hint: /^add e.g. `command: npm start` or `command: \[node, server.js\]`$/,
    },
  ],
  [
    'a misspelt command (not also a missing one)',
    'services:\n  web:\n    comand: x\n',
    {
      line: 3,
      column: 5,
      field: 'services.web.comand',
      message: 'unknown key `services.web.comand`; did you mean `command`?',
    },
  ],
  [
    'a service with no settings',
    'services:\n  web:\n',
    {
      line: 2,
      column: 7,
      field: 'services.web',
      message: "expected `services.web` to be a map of the service's settings, got an empty value",
    },
  ],
  [
    'a string as depends_on',
    'services:\n  db: { command: x }\n  web: { command: x, depends_on: db }\n',
    {
      line: 3,
      column: 34,
      field: 'services.web.depends_on',
      message: 'expected `services.web.depends_on` to be a list of service names, got "db"',
    },
  ],
  [
    'two readiness checks',
    'services:\n  web:\n    command: x\n    ready: { port: 80, log: up }\n',
    {
      line: 4,
      column: 12,
      field: 'services.web.ready',
      message: '`services.web.ready` has both `port` and `log`: give exactly one of `port`, `log` or `command`',
    },
  ],
  [
    'no readiness check',
    'services:\n  web:\n    command: x\n    ready: { host: h }\n',
    {
      line: 4,
      column: 12,
      field: 'services.web.ready',
      message: '`services.web.ready` says nothing to wait for: give one of `port`, `log` or `command`',
    },
  ],
  [
    'interval without command',
    'services:\n  web:\n    command: x\n    ready:\n      log: up\n      interval: 1s\n',
    {
      line: 6,
      column: 17,
      field: 'services.web.ready.interval',
      message: '`services.web.ready.interval` only goes with `command`',
    },
  ],
  [
    'a port out of range',
    'services:\n  web:\n    command: x\n    ready: { port: 70000 }\n',
    {
      line: 4,
      column: 20,
      field: 'services.web.ready.port',
      message: 'expected `services.web.ready.port` to be a port number from 1 to 65535, got 70000',
    },
  ],
  [
    'backoff max below initial',
    'services:\n  web:\n    command: x\n    backoff: { initial: 10s, max: 1s }\n',
    {
      line: 4,
      column: 35,
      field: 'services.web.backoff.max',
      message: '`services.web.backoff.max` is shorter than `initial`; the delay grows from `initial` up to `max`',
    },
  ],
  [
    'an invalid service name',
    'services:\n  ok: { command: x }\n  my web: { command: x }\n',
    {
      line: 3,
      column: 3,
      field: 'services.my web',
      message: 'invalid service name `my web`: expected letters, digits, `_` and `-`',
    },
  ],
  [
    'empty services',
    'name: x\nservices: {}\n',
    {
      line: 2,
      column: 1,
      field: 'services',
      message: '`services` is empty: expected at least one service',
    },
  ],
  [
    'no services key',
    'name: x\n',
    {
      line: 1,
      column: 1,
      field: 'services',
      message: 'missing `services`: expected a map of service names to their settings',
    },
  ],
  [
    'an empty file',
    '# nothing yet\n',
    {
      line: 1,
      column: 1,
      field: undefined,
      message: 'the file is empty: expected a map with a `services:` map',
    },
  ],
  [
    'a list at the top',
    '- web\n',
    {
      line: 1,
      column: 1,
      field: undefined,
      message: 'expected the top level to be a map with a `services:` map, got a list',
    },
  ],
  [
    'an unknown service in depends_on',
    'services:\n  database: { command: x }\n  web:\n    command: x\n    depends_on:\n      - database\n      - databse\n',
    {
      line: 7,
      column: 9,
      field: 'services.web.depends_on',
      message: '`services.web.depends_on` names `databse`, which is not a service; did you mean `database`?',
      hint: /^the services are database, web$/,
    },
  ],
  [
    'a dependency cycle',
    'services:\n  a: { command: x, depends_on: [b] }\n  b: { command: x, depends_on: [c] }\n  c: { command: x, depends_on: [a] }\n',
    {
      line: 2,
      column: 33,
      field: 'services.a.depends_on',
      message: 'dependency cycle: a -> b -> c -> a',
      hint: /remove one of these depends_on entries/,
    },
  ],
  [
    'a cycle further down',
    'services:\n  a: { command: x, depends_on: [b] }\n  b: { command: x, depends_on: [c] }\n  c: { command: x, depends_on: [b] }\n',
    { line: 3, column: 33, field: 'services.b.depends_on', message: 'dependency cycle: b -> c -> b' },
  ],
  [
    'a service that depends on itself',
    'services:\n  a:\n    command: x\n    depends_on: [a]\n',
    { line: 4, column: 18, field: 'services.a.depends_on', message: 'dependency cycle: a -> a' },
  ],
  [
    'a dependency listed twice',
    'services:\n  a: { command: x }\n  b: { command: x, depends_on: [a, a] }\n',
    { line: 3, column: 36, field: 'services.b.depends_on', message: '`services.b.depends_on` lists `a` twice' },
  ],
  [
    'a missing env_file',
    'services:\n  web:\n    command: x\n    env_file: [.env, missing.env]\n',
    {
      line: 4,
      column: 22,
      field: 'services.web.env_file[1]',
      message: 'cannot read env file MISSING: ENOENT',
    },
  ],
];

for (const [what, text, expected] of mistakes) {
  test(`corral.yaml: ${what} is one precise error`, () => {
    const dir = project({ 'corral.yaml': text, '.env': 'A=1\n' });
    rejects(dir, { ...expected, message: expected.message.replace('MISSING', join(dir, 'missing.env')) });
  });
}

test('with several mistakes, the first one in the file is reported', () => {
  rejects(yaml('services:\n  web:\n    scale: 0\n    restart: maybe\n    command: x\n    colour: red\n'), {
    line: 3,
    column: 12,
    field: 'services.web.scale',
    message: 'expected `services.web.scale` to be a whole number of at least 1, got 0',
  });
  rejects(yaml('services:\n  web:\n    colour: red\n    scale: 0\n'), {
    line: 2,
    column: 3,
    field: 'services.web.command',
    message:
      'missing `services.web.command`: expected a string (run by `sh -c`) or a non-empty list of strings (the argv)',
  });
});

test('an env_file line that is not KEY=VALUE is reported in that file', () => {
  const dir = project({
    'corral.yaml': 'services:\n  web:\n    command: x\n    env_file: app.env\n',
    'app.env': 'A=1\nB=2\nC\n',
  });
  rejects(dir, {
    file: join(dir, 'app.env'),
    line: 3,
    column: 1,
    field: undefined,
    message: 'expected `KEY=VALUE`, got `C`',
  });
});
