// 1. spawn → exit round trip of `true`: corral's whole-tree handle vs a bare child_process.
import { spawn as spawnChild } from 'node:child_process';
import { spawn } from '../dist/index.js';
import { guard, median, p90 } from './lib.js';

const N = 200;
const WARMUP = 10;

async function corralOnce() {
  const start = performance.now();
  await guard(
    spawn('true', [], { stdio: 'ignore' }).then((tree) => tree.done),
    5000,
    'corral spawn of true',
  );
  return performance.now() - start;
}

function childOnce() {
  const start = performance.now();
  const run = new Promise((resolve, reject) => {
    const child = spawnChild('true', [], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve(performance.now() - start));
  });
  return guard(run, 5000, 'child_process spawn of true');
}

export async function measure() {
  for (let i = 0; i < WARMUP; i++) {
    await corralOnce();
    await childOnce();
  }
  const corral = [];
  const child = [];
  for (let i = 0; i < N; i++) {
    // Interleaved, alternating which goes first, so drift and caches hit both alike.
    if (i % 2 === 0) {
      corral.push(await corralOnce());
      child.push(await childOnce());
    } else {
      child.push(await childOnce());
      corral.push(await corralOnce());
    }
  }
  const ratio = median(corral) / median(child);
  return {
    raw: { n: N, corralMs: corral, childProcessMs: child },
    rows: [
      {
        measurement: `spawn→exit \`true\` median (n=${N})`,
        corral: `${median(corral).toFixed(2)} ms`,
        alternative: `${median(child).toFixed(2)} ms child_process`,
        ratio,
        target: 1.4,
      },
      {
        measurement: `spawn→exit \`true\` p90`,
        corral: `${p90(corral).toFixed(2)} ms`,
        alternative: `${p90(child).toFixed(2)} ms child_process`,
        ratio: p90(corral) / p90(child),
        target: null,
      },
    ],
  };
}
