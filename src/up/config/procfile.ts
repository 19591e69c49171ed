// Procfiles as foreman reads them: `name: command` lines, run by `sh -c`; # comments and blank
// lines skipped. Every other line is an error here, where foreman would skip it silently.

import type { ServiceConfig } from '../types.js';
import { defaultService } from './defaults.js';
import { ConfigError, clip } from './errors.js';
import { serviceName } from './schema.js';

const hint = 'each line is `name: command`, e.g. `web: node server.js`; names are letters, digits, _ and -';

export function parseProcfile(text: string, file: string, cwd: string, env: Record<string, string>): ServiceConfig[] {
  const services: ServiceConfig[] = [];
  const lines = new Map<string, number>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (/^\s*(#|$)/.test(line)) return;
    const at = (column: number) => ({ line: i + 1, column });
    const colon = line.indexOf(':');
    if (colon < 0)
      throw new ConfigError(file, at(1), undefined, `expected \`name: command\`, got \`${clip(line)}\``, { hint });
    const indent = line.length - line.trimStart().length;
    const name = line.slice(0, colon).trim();
    if (!serviceName.test(name)) {
      throw new ConfigError(
        file,
        at(indent + 1),
        name,
        `invalid service name \`${clip(name)}\`: expected letters, digits, \`_\` and \`-\``,
        { hint },
      );
    }
    const command = line.slice(colon + 1).trim();
    if (command === '')
      throw new ConfigError(file, at(colon + 2), name, `service \`${name}\` has no command`, { hint });
    const first = lines.get(name);
    if (first !== undefined) {
      throw new ConfigError(
        file,
        at(indent + 1),
        name,
        `duplicate service \`${name}\` (first defined on line ${first})`,
        {
          hint: 'give each service its own name; to run several copies of one, use corral.yaml and `scale:`',
        },
      );
    }
    lines.set(name, i + 1);
    services.push(defaultService(name, ['sh', '-c', command], cwd, { ...env }, { file, line: i + 1 }));
  });
  if (services.length === 0)
    throw new ConfigError(file, undefined, undefined, 'defines no services', {
      hint: 'add a line like `web: node server.js`',
    });
  return services;
}
