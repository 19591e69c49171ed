// Option parsing on node's util.parseArgs, stopping at the command like getopt's "+".
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './usage-error.js';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/**
 * Splits argv into corral's options and the rest: options end at `--` or at
 * the first word that is not an option (so `corral timeout 5 ls -l` leaves `-l`
 * to ls), then parses them strictly.
 */
export function parseOptions<T extends OptionsConfig>(
  command: string,
  argv: readonly string[],
  options: T,
): { values: ReturnType<typeof parseArgs<{ options: T; strict: true }>>['values']; rest: string[] } {
  const takesValue = new Set<string>();
  for (const [long, spec] of Object.entries(options)) {
    if (spec.type === 'string') {
      takesValue.add(`--${long}`);
      if (spec.short) takesValue.add(`-${spec.short}`);
    }
  }
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-') break;
    if (takesValue.has(arg)) i++;
  }
  const mine = argv.slice(0, i);
  const rest = argv[i] === '--' ? argv.slice(i + 1) : argv.slice(i);
  try {
    const { values } = parseArgs({ args: mine, options, strict: true, allowPositionals: false });
    return { values: values as ReturnType<typeof parseArgs<{ options: T; strict: true }>>['values'], rest };
  } catch (error) {
    // parseArgs explains itself over several lines: the first is the error, the rest a hint.
    const [first = 'bad usage', ...more] = (error as Error).message.split('\n');
    throw new UsageError(first.replace(/\.$/, ''), more.length > 0 ? more.join(' ') : `see 'corral ${command} --help'`);
  }
}
