#!/usr/bin/env node
// Build step: bundles the CLI into one CommonJS file, dist/cli/corral.cjs. Node's ESM loader
// costs ~1 ms per module at start-up and `corral run -- true` should cost little more than
// `node -e 0` (measured: 17 ESM modules 1.37x, one ESM file 1.25x, one CJS file 1.2x).
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/corral.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  minifyWhitespace: true, // less to parse at every start; names kept for --debug stacks
  minifySyntax: true,
  // The sources locate the reaper and package.json from import.meta.url.
  define: { 'import.meta.url': '__corralModuleUrl' },
  banner: { js: "const __corralModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // The services' commands (and yaml, zod) stay out: every `corral run` would parse them.
  // They load from tsc's ESM output beside the bundle (dist/cli/commands/*.js) when used.
  plugins: [
    {
      name: 'services-apart',
      setup(build) {
        build.onResolve({ filter: /^\.\/commands\/(up|services)\.js$/ }, (args) => ({
          path: args.path,
          external: true,
        }));
      },
    },
  ],
});
