#!/usr/bin/env node
// Mini-DJ runs its TypeScript sources directly (Node >= 22.18 strips types natively).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  // An older Node on PATH (npx from another folder, a global install): run on the Node 22 the project brought.
  const bundled = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (existsSync(bundled)) {
    const run = spawnSync(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
    process.exit(run.status ?? 1);
  }
  console.error(
    `minidj needs Node >= 22.19, but this is Node ${process.versions.node}, and the project's own Node 22 is not installed. ` +
      'Run `npm install` in the project folder (it brings Node 22 from the npm registry), or install Node 22.',
  );
  process.exit(1);
}
// Settings kept in the project's .env (MINIDJ_HOME's, when set), from whatever folder minidj runs in; the
// environment's own values win.
await import('../src/util/load-home-env.ts');
await import('../src/cli/main.ts');
