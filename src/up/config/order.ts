// depends_on: every name must be a service, no cycles; then dependencies first, ties in file order.
import type { ServiceConfig } from '../types.js';
import { ConfigError, type Where } from './errors.js';
import { didYouMean } from './suggest.js';

/** `dependsAt.get(name)[i]`: where `services.<name>.depends_on[i]` is written. */
export function orderServices(
  services: ServiceConfig[],
  file: string,
  dependsAt: Map<string, Where[]>,
): ServiceConfig[] {
  const names = services.map((s) => s.name);
  const where = (s: ServiceConfig, i: number): Where => dependsAt.get(s.name)?.[i] ?? { line: s.source.line };
  for (const s of services) {
    const field = `services.${s.name}.depends_on`;
    s.dependsOn.forEach((dep, i) => {
      if (!names.includes(dep)) {
        throw new ConfigError(
          file,
          where(s, i),
          field,
          `\`${field}\` names \`${dep}\`, which is not a service${didYouMean(dep, names)}`,
          {
            hint: `the services are ${names.join(', ')}`,
          },
        );
      }
      if (s.dependsOn.indexOf(dep) !== i)
        throw new ConfigError(file, where(s, i), field, `\`${field}\` lists \`${dep}\` twice`, { hint: 'remove one' });
    });
  }
  const cycle = findCycle(services);
  if (cycle !== undefined) {
    const [first, second] = cycle as [ServiceConfig, ServiceConfig];
    const field = `services.${first.name}.depends_on`;
    throw new ConfigError(
      file,
      where(first, first.dependsOn.indexOf(second.name)),
      field,
      `dependency cycle: ${cycle.map((s) => s.name).join(' -> ')}`,
      { hint: 'a service cannot wait for itself: remove one of these depends_on entries' },
    );
  }
  return topological(services);
}

/** The first cycle a depth-first walk in file order meets, closed: [a, b, a]. */
function findCycle(services: ServiceConfig[]): ServiceConfig[] | undefined {
  const byName = new Map(services.map((s) => [s.name, s]));
  const done = new Set<string>();
  const stack: ServiceConfig[] = [];
  const visit = (s: ServiceConfig): ServiceConfig[] | undefined => {
    const open = stack.indexOf(s);
    if (open >= 0) return [...stack.slice(open), s];
    if (done.has(s.name)) return undefined;
    stack.push(s);
    for (const dep of s.dependsOn) {
      const cycle = visit(byName.get(dep) as ServiceConfig);
      if (cycle !== undefined) return cycle;
    }
    stack.pop();
    done.add(s.name);
    return undefined;
  };
  for (const s of services) {
    const cycle = visit(s);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

/** Repeatedly the first service, in file order, whose dependencies are all placed. */
function topological(services: ServiceConfig[]): ServiceConfig[] {
  const placed: ServiceConfig[] = [];
  const names = new Set<string>();
  const left = [...services];
  while (left.length > 0) {
    const i = left.findIndex((s) => s.dependsOn.every((d) => names.has(d)));
    const [next] = left.splice(i, 1) as [ServiceConfig];
    placed.push(next);
    names.add(next.name);
  }
  return placed;
}
