// Option parsing on node's util.parseArgs, stopping at the command like getopt's "+".
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './usage-error.js';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
type Values<T extends OptionsConfig> = ReturnType<typeof parseArgs<{ options: T; strict: true }>>['values'];

/**
 * Splits argv into corral's options and the rest: options end at `--` or at
 * the first word that is not an option (so `corral timeout 5 ls -l` leaves `-l`
 * to ls), then parses them strictly.
 */
export function parseOptions<T extends OptionsConfig>(
  command: string,
  argv: readonly string[],
  options: T,
): { values: Values<T>; rest: string[] } {
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
    return { values: values as Values<T>, rest };
  } catch (error) {
    throw usageFrom(command, error);
  }
}

/**
 * For commands that run nothing (ps, kill, …): operands may sit among the options, as in
 * `corral kill web -s KILL`; `--` still ends the options.
 */
export function parseOperands<T extends OptionsConfig>(
  command: string,
  argv: readonly string[],
  options: T,
): { values: Values<T>; operands: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
    return { values: values as Values<T>, operands: positionals };
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    // With operands allowed, parseArgs appends how to pass one that starts with '-': shorten it.
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      throw new UsageError(
        message.split('. ')[0] ?? message,
        `see 'corral ${command} --help'; put an operand starting with '-' after '--'`,
      );
    throw usageFrom(command, error);
  }
}

function usageFrom(command: string, error: unknown): UsageError {
  // parseArgs explains itself over several lines: the first is the error, the rest a hint.
  const [first = 'bad usage', ...more] = (error as Error).message.split('\n');
  return new UsageError(first.replace(/\.$/, ''), more.length > 0 ? more.join(' ') : `see 'corral ${command} --help'`);
}

/**
 * The one ID|NAME operand of tree, kill and wait, if given. An empty one is refused: as an id
 * prefix it would match every corral, and `corral kill "$UNSET"` must not stop the only one.
 */
export function parseCorralOperand(operands: readonly string[]): string | undefined {
  const [target, extra] = operands;
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`, 'name one corral');
  if (target === '') throw new UsageError('empty ID or NAME', `see 'corral ps' for the live corrals`);
  return target;
}

/** parseCorralOperand for commands that need one. */
export function requireCorralOperand(command: string, operands: readonly string[]): string {
  const target = parseCorralOperand(operands);
  if (target === undefined) throw new UsageError('missing ID or NAME', `usage: corral ${command} ID|NAME`);
  return target;
}
