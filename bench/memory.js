// 4. Resident memory of the reaper supervising `sleep 1000`, next to an idle Node process.
import { spawn as spawnChild } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { spawn } from '../dist/index.js';
import { guard, sleep, vmRssKiB } from './lib.js';

const LIMIT_KIB = 1024;

/** VmRSS and its split (RssAnon, RssFile, RssShmem) from /proc/PID/status, in KiB. */
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1]);
  return { vmRss: vmRssKiB(pid), rssAnon: field('RssAnon'), rssFile: field('RssFile'), rssShmem: field('RssShmem') };
}

export async function measure() {
  const tree = await spawn('sleep', ['1000'], { stdio: 'ignore' });
  const node = spawnChild(process.execPath, ['-e', 'setInterval(()=>{},1e6)'], { stdio: 'ignore' });
  const nodeExit = new Promise((resolve) => node.on('exit', resolve));
  try {
    await sleep(500); // both settled: the reaper is in poll(), node has finished starting
    const reaper = memory(tree.reaperPid);
    const idle = memory(node.pid);
    return {
      raw: { reaperKiB: reaper, idleNodeKiB: idle },
      rows: [
        {
          measurement: 'reaper VmRSS supervising `sleep 1000`',
          corral: `${reaper.vmRss} KiB (anon ${reaper.rssAnon}, file ${reaper.rssFile})`,
          alternative: `${idle.vmRss} KiB idle node`,
          ratio: reaper.vmRss / idle.vmRss,
          target: { text: `≤ ${LIMIT_KIB} KiB`, ok: reaper.vmRss <= LIMIT_KIB },
        },
      ],
    };
  } finally {
    node.kill('SIGKILL'); // our own unreaped child: its pid cannot have been reused
    await guard(tree.kill('SIGKILL'), 5000, 'kill of sleep 1000');
    await guard(nodeExit, 5000, 'idle node to exit');
  }
}
