// corral.yaml: parsed by `yaml` (YAML 1.2 core schema, so `restart: no` stays the string "no"),
// checked by the zod schema in schema.ts, and every problem pointed back at its line and column.
import { dirname } from 'node:path';
import { type Document, LineCounter, parseDocument } from 'yaml';
import type { ServiceConfig } from '../types.js';
import { ConfigError, type Where } from './errors.js';
import { locate, orderedKeys } from './positions.js';
import { checkNames, dotted, fromIssue, isRecord, missing, type Path, problemError } from './problems.js';
import { project, type RawProject, type RawService } from './schema.js';
import { type Builder, buildService } from './service.js';

export interface LoadedYaml {
  name: string | undefined;
  services: ServiceConfig[];
  /** Where each `depends_on` entry is written, by service name, in list order. */
  dependsAt: Map<string, Where[]>;
}

export function loadYaml(text: string, file: string, env: Record<string, string>): LoadedYaml {
  const { doc, at } = parse(text, file);
  const data = withoutExtensions(toJS(doc, file));
  const raw = check(data, file, doc, at);
  const find = (path: Path, onKey = false): Where => at(locate(doc, path, onKey));
  const build: Builder = { doc, file, dir: dirname(file), env, find };
  const names = orderedKeys(doc, raw.services);
  return {
    name: raw.name,
    services: names.map((name) => buildService(build, name, raw.services[name] as RawService)),
    dependsAt: new Map(
      names.map((name) => [
        name,
        (raw.services[name]?.depends_on ?? []).map((_, i) => find(['services', name, 'depends_on', i])),
      ]),
    ),
  };
}

type At = (offset: number) => Where;

function parse(text: string, file: string): { doc: Document; at: At } {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    version: '1.2',
    schema: 'core',
    merge: true,
    prettyErrors: false,
  });
  const at: At = (offset) => {
    const pos = lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    throw new ConfigError(file, at(syntax.pos[0]), undefined, `YAML syntax error: ${syntax.message}`, {
      hint: 'fix the YAML at that point: indentation, a missing `:` or space after it, or an unclosed quote are the usual causes',
    });
  }
  if (doc.contents === null) throw problemError(file, { line: 1, column: 1 }, missing([]));
  return { doc, at };
}

/** The schema's output, or the problem written first in the file. */
function check(data: unknown, file: string, doc: Document, at: At): RawProject {
  const parsed = project.safeParse(data);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.flatMap((i) => fromIssue(i, data))),
    ...checkNames(data),
  ];
  if (parsed.success && problems.length === 0) return parsed.data;
  // `comand: x` is the problem; the missing `command` that follows from it is not worth saying.
  const meant = new Set(problems.flatMap((p) => (p.means === undefined ? [] : [dotted(p.means)])));
  const placed = problems
    .filter((p) => !(p.missing && meant.has(dotted(p.path))))
    .map((p) => ({ p, offset: locate(doc, p.path, p.onKey) }));
  placed.sort((a, b) => a.offset - b.offset);
  const first = placed[0] as (typeof placed)[number];
  throw problemError(file, at(first.offset), first.p);
}

function toJS(doc: Document, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigError(file, undefined, undefined, `cannot expand the YAML: ${(error as Error).message}`, {
      hint: 'use fewer nested aliases (*name)',
      cause: error,
    });
  }
}

/** `x-` keys at the top level and in a service are the user's own (a home for YAML anchors): ignored. */
function withoutExtensions(data: unknown): unknown {
  if (!isRecord(data)) return data;
  const out = dropExtensions(data);
  if (isRecord(out.services))
    out.services = Object.fromEntries(
      Object.entries(out.services).map(([k, v]) => [k, isRecord(v) ? dropExtensions(v) : v]),
    );
  return out;
}

function dropExtensions(map: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(map).filter(([k]) => !k.startsWith('x-')));
}
