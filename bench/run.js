// npm run bench: every measurement in sequence, one table, raw numbers in bench/results.json.
// `node bench/run.js kill storm` runs only the named ones.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { runAllCleanups } from './lib.js';

const all = ['spawn', 'kill', 'storm', 'memory', 'cli', 'lookup', 'services', 'levels'];
const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : all;
for (const name of chosen) if (!all.includes(name)) throw new Error(`unknown measurement ${name}: one of ${all}`);

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    process.stderr.write(`\nbench: ${signal}, cleaning up\n`);
    runAllCleanups();
    process.exit(130);
  });
}

// target: a number (ratio must be ≤ it), { text, ok } (an absolute check), or null (information).
function pass(row) {
  if (row.target === null) return 'info';
  if (typeof row.target === 'object') return row.target.ok ? 'pass' : 'FAIL';
  if (Number.isNaN(row.ratio)) return 'FAIL';
  return row.ratio <= row.target ? 'pass' : 'FAIL';
}

function targetText(target) {
  if (target === null) return '—';
  return typeof target === 'object' ? target.text : `≤ ${target}x`;
}

function printTable(rows) {
  const header = ['measurement', 'corral', 'alternative', 'ratio', 'target', 'pass/fail'];
  const cells = rows.map((r) => [
    r.measurement,
    r.corral,
    r.alternative,
    Number.isNaN(r.ratio) ? '—' : `${r.ratio < 0.01 ? r.ratio.toPrecision(2) : r.ratio.toFixed(2)}x`,
    targetText(r.target),
    pass(r),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => `| ${c.map((s, i) => s.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const c of cells) console.log(line(c));
}

const started = performance.now();
const results = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, kernel: os.release(), node: process.version, loadBefore: os.loadavg() },
  measurements: {},
};
const rows = [];
const notes = [];
let failed = false;
try {
  for (const name of chosen) {
    const t0 = performance.now();
    process.stderr.write(`bench: ${name}…`);
    try {
      const { measure } = await import(`./${name}.js`);
      const { raw, rows: got, notes: more = [] } = await measure();
      results.measurements[name] = raw;
      rows.push(...got);
      notes.push(...more);
      process.stderr.write(` ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    } catch (error) {
      failed = true;
      results.measurements[name] = { error: error.stack ?? String(error) };
      process.stderr.write(` failed: ${error.stack ?? error}\n`);
    }
  }
} finally {
  runAllCleanups();
}
results.totalSeconds = (performance.now() - started) / 1000;
results.machine.loadAfter = os.loadavg();
printTable(rows);
for (const note of new Set(notes)) console.log(note);
console.log(
  `\n${os.cpus().length} CPUs, Linux ${os.release()}, Node ${process.version}; ${results.totalSeconds.toFixed(0)} s; ` +
    `load average ${results.machine.loadBefore[0].toFixed(1)} before, ${results.machine.loadAfter[0].toFixed(1)} after`,
);
const rounded = (_, v) => (typeof v === 'number' ? Math.round(v * 1000) / 1000 : v);
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, rounded)}\n`);
console.log('raw numbers: bench/results.json');
if (failed) process.exitCode = 1;
