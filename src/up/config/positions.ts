// Where a path of the parsed data is written in the YAML document (through aliases and merge keys).
import { type Document, isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { Path } from './problems.js';

interface Found {
  key: unknown;
  value: unknown;
}

/** The offset of the node at `path` (its key with onKey); a missing field points at the deepest key that is there. */
export function locate(doc: Document, path: Path, onKey: boolean): number {
  let here: Found = { key: undefined, value: doc.contents };
  let complete = true;
  for (const seg of path) {
    const next = child(doc, here.value, seg);
    if (next === undefined) {
      complete = false;
      break;
    }
    here = next;
  }
  const order = complete && !onKey ? [here.value, here.key] : [here.key, here.value];
  for (const node of order) {
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range !== undefined) return range[0];
  }
  return 0;
}

export function child(doc: Document, node: unknown, seg: string | number): Found | undefined {
  const target = isAlias(node) ? node.resolve(doc) : node;
  if (isSeq(target)) return typeof seg === 'number' ? { key: target.items[seg], value: target.items[seg] } : undefined;
  if (!isMap(target)) return undefined;
  const pair = target.items.find((p) => keyText(p.key) === String(seg));
  if (pair !== undefined) return { key: pair.key, value: pair.value };
  // A field brought in by a merge key (`<<: *defaults`) is written where the anchor is.
  for (const merge of target.items.filter((p) => keyText(p.key) === '<<')) {
    const sources = isSeq(merge.value) ? merge.value.items : [merge.value];
    for (const source of sources) {
      const found = child(doc, source, seg);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function keyText(key: unknown): string {
  if (!isScalar(key)) return String(key);
  // A merge key's value is Symbol(<<).
  return typeof key.value === 'symbol' ? (key.value.description ?? '') : String(key.value);
}

/** Map keys in file order (a JS object puts integer-like keys first). */
export function orderedKeys(doc: Document, services: Record<string, unknown>): string[] {
  const node = child(doc, doc.contents, 'services')?.value;
  const written = isMap(node) ? node.items.map((p) => keyText(p.key)).filter((k) => k in services) : [];
  return [...new Set([...written, ...Object.keys(services)])];
}
