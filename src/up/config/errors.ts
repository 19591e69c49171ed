// Errors of the configuration layer. Every message starts with where the problem is written —
// `file:line:column:` — and names the field; the hint says what to write instead.
import { isAbsolute, relative } from 'node:path';
import { CorralError } from '../../errors.js';

/** A place in a config file; 1-based. */
export interface Where {
  line: number;
  column?: number | undefined;
}

/** A Procfile, corral.yaml or .env file that cannot be used as it is. */
export class ConfigError extends CorralError {
  /** The file the problem is in (absolute). */
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  /** The field, as a path: `services.web.restart`; undefined when the problem is not one field's. */
  readonly field: string | undefined;

  constructor(
    file: string,
    where: Where | undefined,
    field: string | undefined,
    message: string,
    options: { hint?: string | undefined; code?: string; cause?: unknown } = {},
  ) {
    const at = where === undefined ? '' : `:${where.line}${where.column === undefined ? '' : `:${where.column}`}`;
    super(options.code ?? 'CORRAL_ERR_CONFIG', `${displayPath(file)}${at}: ${message}`, {
      ...(options.hint === undefined ? {} : { hint: options.hint }),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.file = file;
    this.line = where?.line;
    this.column = where?.column;
    this.field = field;
  }
}

/** No Procfile or corral.yaml where one was looked for. */
export class NoConfigError extends ConfigError {
  /** Every path that was tried, in order. */
  readonly looked: string[];
  constructor(place: string, looked: string[], message: string, hint?: string) {
    super(place, undefined, undefined, message, {
      code: 'CORRAL_ERR_NO_CONFIG',
      hint: hint ?? 'write a corral.yaml or a Procfile (`web: node server.js`) there, or name the file to read',
    });
    this.looked = looked;
  }
}

/** Relative to the working directory when the file is under it (what an editor's "go to" takes), else absolute. */
function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/** A quoted piece of a line, cut short so the message stays one line. */
export function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
