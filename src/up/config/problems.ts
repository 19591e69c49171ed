// Problems found in corral.yaml, from zod's issues and from the checks zod cannot make, each with
// the message and hint the user sees; the messages' words come from `fields` in schema.ts.
import type * as z from 'zod/mini';
import { ConfigError, clip, type Where } from './errors.js';
import { type FieldPath, fields, serviceName } from './schema.js';
import { closest, didYouMean } from './suggest.js';

export type Path = (string | number)[];

/** One thing wrong, at a path; `onKey` points at the key rather than its value. */
export interface Problem {
  path: Path;
  onKey: boolean;
  message: string;
  hint: string | undefined;
  /** An unknown key's likely meaning: then a `missing` problem for that key is this one's echo. */
  means?: Path;
  missing?: boolean;
}

export function fromIssue(issue: z.core.$ZodIssue, data: unknown): Problem[] {
  const path = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
  if (issue.code === 'unrecognized_keys') {
    const known = childKeys(generic(path));
    return issue.keys.map((key) => ({
      path: [...path, key],
      onKey: true,
      means: [...path, closest(key, known) ?? key],
      message: `unknown key ${show([...path, key])}${didYouMean(key, known)}`,
      hint: `${path.length === 0 ? 'top-level keys are' : `keys of ${show(path)} are`} ${known.join(', ')}${path.length === 0 ? ' (keys starting with x- are ignored)' : ''}`,
    }));
  }
  const params = (issue as { params?: { message?: string; hint?: string } }).params;
  if (params?.message !== undefined) {
    const field = fields[generic(path) as FieldPath] as { example: string } | undefined;
    return [
      {
        path,
        onKey: false,
        message: params.message.replace('{field}', show(path)),
        hint: params.hint ?? (field === undefined ? undefined : `e.g. ${field.example}`),
      },
    ];
  }
  const value = valueAt(data, path);
  return [value === undefined ? missing(path) : wrong(path, value)];
}

export function missing(path: Path): Problem {
  const field = fieldOf(path);
  const what = path.length === 0 ? 'the file is empty' : `missing ${show(path)}`;
  return {
    path,
    onKey: false,
    missing: true,
    message: `${what}: expected ${field.expected}`,
    hint: `add e.g. ${field.example}`,
  };
}

function wrong(path: Path, value: unknown): Problem {
  const field = fieldOf(path);
  const unitless = field.expected.includes('duration') && /^\s*\d+(\.\d+)?\s*$/.test(String(value));
  return {
    path,
    onKey: false,
    message: `expected ${show(path)} to be ${field.expected}, got ${describe(value)}`,
    hint: unitless
      ? `give it a unit: \`${String(value).trim()}s\` or \`${String(value).trim()}ms\``
      : `e.g. ${field.example}`,
  };
}

/** Service names are map keys, which zod does not see one by one. */
export function checkNames(data: unknown): Problem[] {
  if (!isRecord(data) || !isRecord(data.services)) return [];
  const names = Object.keys(data.services);
  if (names.length === 0) {
    return [
      {
        path: ['services'],
        onKey: true,
        message: '`services` is empty: expected at least one service',
        hint: `add e.g. ${fields['services.*'].example}`,
      },
    ];
  }
  return names
    .filter((name) => !serviceName.test(name))
    .map((name) => ({
      path: ['services', name],
      onKey: true,
      message: `invalid service name \`${clip(name)}\`: expected letters, digits, \`_\` and \`-\``,
      hint: 'rename it, e.g. `web`, `api_v2` or `worker-1`',
    }));
}

export function problemError(file: string, where: Where, p: Problem): ConfigError {
  return new ConfigError(file, where, p.path.length === 0 ? undefined : dotted(p.path), p.message, { hint: p.hint });
}

/** `services.web.ready` → `services.*.ready`: the key of `fields`. */
function generic(path: Path): string {
  return path
    .map((seg, i) =>
      typeof seg === 'number' || (i === 1 && path[0] === 'services') || (i === 3 && path[2] === 'env') ? '*' : seg,
    )
    .join('.');
}

function fieldOf(path: Path): { expected: string; example: string } {
  return (
    (fields as Record<string, { expected: string; example: string }>)[generic(path)] ?? {
      expected: 'something else',
      example: 'see docs/services-config.md',
    }
  );
}

/** The keys `fields` knows one level below `parent`. */
function childKeys(parent: string): string[] {
  const prefix = parent === '' ? '' : `${parent}.`;
  return Object.keys(fields)
    .filter((k) => k !== '' && k.startsWith(prefix) && !k.slice(prefix.length).includes('.'))
    .map((k) => k.slice(prefix.length))
    .filter((k) => k !== '*');
}

export function dotted(path: Path): string {
  return path.map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? seg : `.${seg}`)).join('');
}

function show(path: Path): string {
  return path.length === 0 ? 'the top level' : `\`${dotted(path)}\``;
}

function describe(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return JSON.stringify(clip(value));
  return String(value);
}

function valueAt(data: unknown, path: Path): unknown {
  let value = data;
  for (const seg of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string | number, unknown>)[seg];
  }
  return value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
