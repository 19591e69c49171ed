// A controller to be SIGKILLed: spawns one tree with the library, prints its reaper's pid, waits.
// Usage: node controller.js FIXTURE [ARG...] (CORRAL_TEST_REPORT etc. come through the environment)
import { spawn } from '../../dist/index.js';

const [file, ...args] = process.argv.slice(2);
// leftovers: 'wait': only the controller's death may end the tree.
const tree = await spawn(file as string, args, { stdio: 'ignore', leftovers: 'wait' });
process.stdout.write(`reaper ${tree.reaperPid}\n`);
setInterval(() => {}, 1 << 30); // until SIGKILL
