// `name | line` for a terminal or a pipe: names aligned, coloured only for a person (a TTY and
// no NO_COLOR), an optional timestamp in front. One string per line, written in one call.
import { styleText } from 'node:util';

const palette = ['cyan', 'yellow', 'green', 'magenta', 'blue', 'red', 'cyanBright', 'yellowBright'] as const;

export interface PrefixOptions {
  colour: boolean;
  timestamps: boolean;
}

export class Prefixer {
  readonly #width: number;
  readonly #colours = new Map<string, (typeof palette)[number]>();
  readonly #options: PrefixOptions;

  constructor(names: readonly string[], options: PrefixOptions) {
    this.#width = Math.max(0, ...names.map((n) => n.length));
    names.forEach((n, i) => {
      this.#colours.set(n, palette[i % palette.length] as (typeof palette)[number]);
    });
    this.#options = options;
  }

  format(name: string, line: string, time: Date = new Date()): string {
    const label = `${name.padEnd(this.#width)} |`;
    const colour = this.#colours.get(name) ?? 'cyan';
    const head = this.#options.colour ? styleText(colour, label, { validateStream: false }) : label;
    const stamp = this.#options.timestamps ? `${time.toISOString()} ` : '';
    return `${stamp}${head} ${line}\n`;
  }
}

/** https://no-color.org: NO_COLOR set and not empty turns colour off. */
export function wantColour(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}
