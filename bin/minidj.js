#!/usr/bin/env node
// Mini-DJ runs its TypeScript sources directly (Node >= 22.18 strips types natively).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  console.error(
    `minidj needs Node >= 22.19, but this is Node ${process.versions.node}. ` +
      'Run it through npm (`npx minidj …` or `npm run …` in the project folder use the Node 22 that `npm install` brought), or install Node 22.',
  );
  process.exit(1);
}
await import('../src/cli/main.ts');
