import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setting } from './config.ts';

/** The project folder: this checkout, or where `npm link` / a global install points. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Where Mini-DJ keeps its `.env` and its `data/` (the store, the library's audio, downloads): MINIDJ_HOME, else the
 * project folder, whatever folder a command is started from.
 */
export function minidjHome(env: NodeJS.ProcessEnv = process.env): string {
  const home = setting('MINIDJ_HOME', env);
  return home ? path.resolve(home) : PACKAGE_ROOT;
}

/** A default path (e.g. `data/tracks`) in the home; a path the user set is taken from where the command runs. */
export function homePath(setting: string | undefined, fallback: string, env: NodeJS.ProcessEnv = process.env): string {
  return setting ? path.resolve(setting) : path.resolve(minidjHome(env), fallback);
}

/** The home's `.env` into the environment; variables already set win. */
export function loadHomeEnv(env: NodeJS.ProcessEnv = process.env): void {
  const file = path.join(minidjHome(env), '.env');
  if (existsSync(file)) process.loadEnvFile(file);
}
