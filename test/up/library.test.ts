// `corral/services`, the package's second entry: a Procfile loaded and run by a Supervisor from
// a library caller, through the export map (as a dependent package imports it).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { list } from '../../dist/index.js';
import { bounded, waitFor } from '../helpers/index.js';
import { killProjectTrees, tmpProject } from './project.js';

test("corral/services: loadProject + Supervisor run a Procfile's whole trees and stop them", async (t) => {
  const { loadProject, Supervisor, ConfigError } = await import('corral/services');
  const project = tmpProject(t);
  t.after(() => killProjectTrees(project.name));
  writeFileSync(join(project.dir, 'Procfile'), "web: sh -c 'setsid sleep 1000 & echo up; wait'\n");
  const config = loadProject({ dir: project.dir });
  assert.deepEqual(
    config.services.map((s) => s.name),
    ['web'],
  );
  const lines: string[] = [];
  const supervisor = new Supervisor(config, { onLine: (instance, line) => lines.push(`${instance}|${line}`) });
  await bounded(supervisor.start(), 20_000, 'start');
  await waitFor(() => lines.includes('web|up'), { what: "web's first line" });
  const tree = list().find((c) => c.name === `${config.project}/web`);
  assert.ok(tree, 'the service is a corral named <project>/<service>');
  assert.equal(tree.processes, 3, 'sh, the setsid sleep and nothing else escaped the count');
  await bounded(supervisor.stopAll(), 20_000, 'stopAll');
  assert.equal(
    list().some((c) => c.name === `${config.project}/web`),
    false,
    'stopped means the tree is gone',
  );
  writeFileSync(join(project.dir, 'Procfile'), 'web sleep 1\n');
  assert.throws(() => loadProject({ dir: project.dir }), ConfigError);
});
