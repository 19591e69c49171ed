// 5. Wall time of `bin/corral run -- true` vs `node -e 0`: what the CLI adds to a bare Node start.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { guard, median, p90, root } from './lib.js';

const N = 30;
const WARMUP = 3;
const corral = [join(root, 'bin', 'corral'), ['run', '--', 'true']];
const node = [process.execPath, ['-e', '0']];

function timeOnce([file, args]) {
  const start = performance.now();
  const run = new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(performance.now() - start) : reject(new Error(`${file} ${args} exited ${code}`)),
    );
  });
  return guard(run, 10_000, `${file} ${args.join(' ')}`);
}

export async function measure() {
  for (let i = 0; i < WARMUP; i++) {
    await timeOnce(corral);
    await timeOnce(node);
  }
  const a = [];
  const b = [];
  for (let i = 0; i < N; i++) {
    if (i % 2 === 0) {
      a.push(await timeOnce(corral));
      b.push(await timeOnce(node));
    } else {
      b.push(await timeOnce(node));
      a.push(await timeOnce(corral));
    }
  }
  return {
    raw: { n: N, corralRunTrueMs: a, nodeE0Ms: b },
    rows: [
      {
        measurement: `\`corral run -- true\` wall, median (n=${N})`,
        corral: `${median(a).toFixed(1)} ms (p90 ${p90(a).toFixed(1)})`,
        alternative: `${median(b).toFixed(1)} ms node -e 0 (p90 ${p90(b).toFixed(1)})`,
        ratio: median(a) / median(b),
        target: 1.3,
      },
    ],
  };
}
