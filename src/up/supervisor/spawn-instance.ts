// Starting one instance's corral: the service's argv, cwd, environment, stop signal and grace,
// level and limits, as spawn() options; and its output, line by line.
import type { Level } from '../../options.js';
import { spawnTree } from '../../tree/spawn.js';
import type { Tree } from '../../tree/tree.js';
import type { Instance } from './instance.js';
import { type OutputGate, readLines } from './lines.js';

export function spawnInstance(inst: Instance, project: string): Promise<Tree> {
  const service = inst.service;
  return spawnTree(service.argv[0] as string, service.argv.slice(1), {
    name: inst.corralName,
    cwd: service.cwd,
    env: {
      ...service.env,
      CORRAL_PROJECT: project,
      CORRAL_SERVICE: service.name,
      CORRAL_INSTANCE: String(inst.index),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    killSignal: service.stopSignal,
    killAfter: service.stopGraceMs,
    level: service.level as Level,
    // Limits go to spawn() as they are: one it cannot enforce here fails the start, saying why.
    ...definedOnly(service.limits),
  });
}

/** A tree's output pipes close when its last member is gone; this only guards a member that passed them on. */
const drainBoundMs = 2000;

/** Calls `onLine` for each line of the tree's stdout and stderr; resolves once both ended (bounded after `done`). */
export function pipeOutput(tree: Tree, onLine: (line: string) => void, gate?: OutputGate): Promise<void> {
  const ended = [tree.stdout, tree.stderr].map(
    (stream) => new Promise<void>((resolve) => (stream ? readLines(stream, onLine, resolve, gate) : resolve())),
  );
  const bound = tree.done
    .catch(() => {})
    .then(() => new Promise<void>((resolve) => setTimeout(resolve, drainBoundMs).unref()));
  return Promise.race([Promise.all(ended).then(() => {}), bound]);
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
