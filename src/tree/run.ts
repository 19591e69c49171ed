// runTree(): spawn with captured output, in the spirit of execa.
import type { Readable } from 'node:stream';
import { CommandFailedError, InvalidOptionError, KilledError, TimeoutError } from '../errors.js';
import { defaults, normalizeOptions, type RunOptions } from '../options.js';
import { describeFailure, succeeded, type TreeResult } from './result.js';
import { spawnTree } from './spawn.js';

/** Output that outlives the tree (an fd passed to a stranger) must not hang run(). */
const drainAfterDoneMs = 200;

export async function runTree(file: string, args?: readonly string[], options: RunOptions = {}): Promise<TreeResult> {
  const { input, maxBuffer = defaults.maxBuffer, reject = true, encoding = 'utf8', ...spawnOptions } = options;
  const timeoutMs = normalizeOptions(file, args, spawnOptions).timeoutMs; // validates before any process exists
  validateMaxBuffer(maxBuffer);
  const tree = await spawnTree(file, args, spawnOptions);
  const stdout = tree.stdout ? capture(tree.stdout, maxBuffer) : undefined;
  const stderr = tree.stderr ? capture(tree.stderr, maxBuffer) : undefined;
  if (tree.stdin) {
    tree.stdin.on('error', () => {}); // EPIPE: the command did not read its input
    tree.stdin.end(input);
  }
  const result = await tree.done;
  const [out, err] = await Promise.all([stdout?.drained(), stderr?.drained()]);
  const full: TreeResult = { ...result };
  if (out) Object.assign(full, { stdout: out.text(encoding), stdoutTruncated: out.truncated });
  if (err) Object.assign(full, { stderr: err.text(encoding), stderrTruncated: err.truncated });
  if (!reject || succeeded(full)) return full;
  const message = describeFailure(full, timeoutMs);
  if (full.timedOut) throw new TimeoutError(message, full);
  if (full.killed) throw new KilledError(message, full);
  throw new CommandFailedError(message, full);
}

function validateMaxBuffer(value: unknown): void {
  if (typeof value === 'number' && value >= 0) return;
  throw new InvalidOptionError(
    'maxBuffer',
    `Expected \`maxBuffer\` to be a non-negative number of bytes, got \`${String(value)}\`. Use e.g. 1_000_000.`,
  );
}

function capture(stream: Readable, maxBuffer: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  let ended = false;
  stream.on('data', (chunk: Buffer) => {
    if (size + chunk.length > maxBuffer) {
      truncated = true;
      chunk = chunk.subarray(0, Math.max(0, maxBuffer - size));
    }
    if (chunk.length > 0) chunks.push(chunk);
    size += chunk.length;
  });
  const end = new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', resolve);
  }).then(() => {
    ended = true;
  });
  return {
    async drained() {
      if (!ended) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          end,
          new Promise((resolve) => {
            timer = setTimeout(resolve, drainAfterDoneMs);
          }),
        ]);
        clearTimeout(timer);
        if (!ended) stream.destroy();
      }
      return { truncated, text: (encoding: BufferEncoding) => Buffer.concat(chunks).toString(encoding) };
    },
  };
}
