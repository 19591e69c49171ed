// The project's instances and who depends on whom: what may start (every dependency up), what
// may stop (no dependent left), what can never start (a dependency that gave up).
import { InvalidOptionError } from '../../errors.js';
import type { ProjectConfig } from '../types.js';
import { NoSuchServiceError } from './errors.js';
import { Instance } from './instance.js';

/** Names the reaper's argv may carry (see validateName in src/options.ts). */
const corralName = /^[\w@][\w.@/:+-]{0,63}$/;

export class ServiceGraph {
  readonly instances: readonly Instance[];
  readonly #byService = new Map<string, Instance[]>();
  /** service name → the services that depend on it. */
  readonly #dependents = new Map<string, string[]>();

  constructor(project: ProjectConfig) {
    const instances: Instance[] = [];
    for (const service of project.services) {
      const own: Instance[] = [];
      for (let i = 1; i <= service.scale; i++) own.push(new Instance(service, i, project.project));
      this.#byService.set(service.name, own);
      instances.push(...own);
      for (const dep of service.dependsOn)
        this.#dependents.set(dep, [...(this.#dependents.get(dep) ?? []), service.name]);
    }
    for (const inst of instances) {
      if (!corralName.test(inst.corralName))
        throw new InvalidOptionError(
          'name',
          `the corral name ${JSON.stringify(inst.corralName)} is not valid: project and service names make 1-64 characters of letters, digits and . _ - @ / : +`,
          'shorten the project name (name: in corral.yaml) or the service name',
        );
    }
    this.instances = instances;
  }

  /** Instances named by service (`web`: every copy) or instance (`web.2`); all when `names` is empty. */
  select(names: readonly string[]): Instance[] {
    if (names.length === 0) return [...this.instances];
    const found = new Set<Instance>();
    for (const name of names) {
      const matches = this.#byService.get(name) ?? this.instances.filter((i) => i.name === name);
      if (matches.length === 0) throw new NoSuchServiceError(name, [...this.#byService.keys()]);
      for (const m of matches) found.add(m);
    }
    return this.instances.filter((i) => found.has(i));
  }

  /** The chosen instances plus every instance of every service they depend on, transitively. */
  withDependencies(chosen: readonly Instance[]): Instance[] {
    const deps = new Set<string>();
    const visit = (name: string): void => {
      for (const dep of this.#byService.get(name)?.[0]?.service.dependsOn ?? []) {
        if (deps.has(dep)) continue;
        deps.add(dep);
        visit(dep);
      }
    };
    for (const inst of chosen) visit(inst.service.name);
    return this.instances.filter((i) => chosen.includes(i) || deps.has(i.service.name));
  }

  /** The dependencies of `inst` that are not up yet, with their states: "db (starting)". */
  blocking(inst: Instance): string[] {
    return inst.service.dependsOn.filter((d) => !this.#isUp(d)).map((d) => `${d} (${this.#stateOf(d)})`);
  }

  /** Does any instance of a service that depends on `inst`'s still have processes? */
  hasLiveDependents(inst: Instance): boolean {
    return (this.#dependents.get(inst.service.name) ?? []).some((s) =>
      (this.#byService.get(s) ?? []).some((d) => d.live),
    );
  }

  /** Waiting on a dependency that nothing will start any more. */
  blockedForGood(inst: Instance): boolean {
    return inst.service.dependsOn.some((d) =>
      (this.#byService.get(d) ?? []).some(
        (i) => i.state === 'failed' || i.state === 'stopped' || (i.state === 'waiting' && !i.wanted),
      ),
    );
  }

  /** A dependency is up when each of its instances runs (and passed its probe) or exited 0 and is done. */
  #isUp(service: string): boolean {
    return (this.#byService.get(service) ?? []).every((i) => i.state === 'running' || i.state === 'exited');
  }

  #stateOf(service: string): string {
    return [...new Set((this.#byService.get(service) ?? []).map((i) => i.state))].join('/');
  }
}
