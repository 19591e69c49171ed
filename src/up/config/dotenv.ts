// .env files as foreman reads them: KEY=VALUE lines, plus `export ` and `#` comments. Nothing is
// expanded or run: no $VAR, no $(command); a double-quoted value turns \n into a newline.
import { readFileSync } from 'node:fs';
import { ConfigError, clip, type Where } from './errors.js';

const assignment = /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)\s*=(\s*)/;

/** The variables of one .env file, in file order; a line that is none of blank, comment or KEY=VALUE is an error. */
export function parseDotenv(text: string, file: string): Record<string, string> {
  const vars: Record<string, string> = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (/^\s*(#|$)/.test(line)) return;
    const m = assignment.exec(line);
    if (!m) {
      throw new ConfigError(
        file,
        { line: i + 1, column: 1 },
        undefined,
        `expected \`KEY=VALUE\`, got \`${clip(line)}\``,
        {
          hint: 'a name of letters, digits and _ (not starting with a digit), `=`, then the value; # starts a comment',
        },
      );
    }
    const [head, key, space] = [m[0], m[2] as string, m[3] as string];
    const text = line.slice(head.length);
    // `KEY= # note` is empty, as in a shell; `KEY=#fff` is "#fff".
    vars[key] =
      space !== '' && text.startsWith('#') ? '' : parseValue(text, file, { line: i + 1, column: head.length + 1 }, key);
  });
  return vars;
}

/** Reads and parses a .env file; a file that cannot be read is reported at `from` (what named it). */
export function readDotenv(
  file: string,
  from: { file: string; where?: Where | undefined; field?: string | undefined },
): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(from.file, from.where, from.field, `cannot read env file ${file}: ${code}`, {
      hint: 'env files are read from the directory of the config file',
      cause: error,
    });
  }
  return parseDotenv(text, file);
}

function parseValue(text: string, file: string, at: { line: number; column: number }, key: string): string {
  const quote = text[0];
  if (quote !== "'" && quote !== '"') return text.replace(/\s+#.*$/, '').trim();
  let value = '';
  let i = 1;
  for (; i < text.length && text[i] !== quote; i++) {
    if (quote === '"' && text[i] === '\\' && i + 1 < text.length) {
      i++;
      value += text[i] === 'n' ? '\n' : text[i];
    } else value += text[i];
  }
  if (i >= text.length) {
    throw new ConfigError(
      file,
      at,
      undefined,
      `the value of ${key} opens a ${quote} quote that this line does not close`,
      {
        hint: `close it with ${quote} (values are one line; write \\n inside double quotes for a newline)`,
      },
    );
  }
  const rest = text.slice(i + 1);
  if (!/^\s*(#.*)?$/.test(rest)) {
    throw new ConfigError(
      file,
      { line: at.line, column: at.column + i + 1 },
      undefined,
      `unexpected \`${clip(rest.trim())}\` after the quoted value of ${key}`,
      { hint: 'quote the whole value, or start a comment with #' },
    );
  }
  return value;
}
