import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, SETTINGS, configProblems, setting } from '../src/util/config.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const sources = (readdirSync(path.join(ROOT, 'src'), { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts'))
  .map((f) => path.join('src', f));

/** The README's configuration table: variable → its default cell. */
function readmeTable(): Map<string, string> {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Running as a service'));
  const rows = new Map<string, string>();
  for (const [, name, shown] of section.matchAll(/^\| `(MINIDJ_\w+)` \| (.*?) \|/gm)) rows.set(name!, shown!);
  return rows;
}

describe('the settings', () => {
  afterEach(() => {
    delete process.env.MINIDJ_MAX_MB;
    delete process.env.MINIDJ_STREAM_COST_PCT;
  });

  it('README → Configuration lists exactly the declared MINIDJ_ variables, with their defaults', () => {
    const table = readmeTable();
    expect([...table.keys()].sort()).toEqual(Object.keys(SETTINGS).sort());
    for (const [name, s] of Object.entries(SETTINGS)) {
      const value = 'default' in s ? s.default : undefined;
      const shown =
        'shown' in s ? s.shown : typeof value === 'string' ? `\`${value}\`` : value !== undefined ? String(value) : '—';
      expect(`${name}: ${table.get(name)}`).toBe(`${name}: ${shown}`);
    }
  });

  it('no file of src but src/util/config.ts reads a MINIDJ_ variable', () => {
    const reads = /\benv\??\.MINIDJ_|\benv\[\s*['"`]MINIDJ_|process\.env\s*\[|\benv\[name\]/;
    const readers = sources.filter(
      (f) => f !== path.join('src', 'util', 'config.ts') && reads.test(readFileSync(path.join(ROOT, f), 'utf8')),
    );
    expect(readers).toEqual([]);
  });

  it('the lint refuses a MINIDJ_ read outside src/util/config.ts', async () => {
    const eslint = new ESLint();
    for (const code of [
      'export const a = process.env.MINIDJ_MAX_MB;\n',
      "export const a = process.env['MINIDJ_MAX_MB'];\n",
      'export const a = (n: string) => process.env[n];\n',
    ]) {
      const [result] = await eslint.lintText(code, { filePath: 'src/audio/io/x.ts' });
      expect(result!.messages.map((m) => m.ruleId)).toContain('no-restricted-syntax');
    }
  });

  it('reads the environment when called, and a malformed value names the variable and what it takes', () => {
    expect(setting('MINIDJ_MAX_MB')).toBe(100);
    process.env.MINIDJ_MAX_MB = '250';
    expect(setting('MINIDJ_MAX_MB')).toBe(250);
    process.env.MINIDJ_MAX_MB = 'big';
    expect(() => setting('MINIDJ_MAX_MB')).toThrow(ConfigError);
    expect(() => setting('MINIDJ_MAX_MB')).toThrow('MINIDJ_MAX_MB is "big"; it takes a number of megabytes, above 0.');
    expect(() => setting('MINIDJ_MAX_DOWNLOADS', { MINIDJ_MAX_DOWNLOADS: '2.5' })).toThrow(
      'a whole number of downloads, at least 1',
    );
    expect(() => setting('MINIDJ_LOG_LEVEL', { MINIDJ_LOG_LEVEL: 'loud' })).toThrow('one of fatal, error, warn, info');
  });

  it('a setting a running bot always fell back on still falls back; the start lists every malformed one', () => {
    process.env.MINIDJ_STREAM_COST_PCT = 'lots';
    expect(setting('MINIDJ_STREAM_COST_PCT')).toBe(10);
    expect(setting('MINIDJ_RESUME', { MINIDJ_RESUME: 'yes' })).toBe(true);
    expect(setting('MINIDJ_ALLOW_LOOPBACK_URLS', { MINIDJ_ALLOW_LOOPBACK_URLS: 'yes' })).toBe(false);
    expect(
      configProblems({
        MINIDJ_STREAM_COST_PCT: 'lots',
        MINIDJ_OPS_PORT: '70000',
        MINIDJ_RESUME: 'yes',
        MINIDJ_MAX_MINUTES: '30',
      }),
    ).toEqual([
      'MINIDJ_RESUME is "yes"; it takes `0` or `1`.',
      'MINIDJ_STREAM_COST_PCT is "lots"; it takes a number of percent of a core, above 0.',
      'MINIDJ_OPS_PORT is "70000"; it takes a whole number of port, at least 0 and at most 65535.',
    ]);
    expect(configProblems({})).toEqual([]);
  });

  it('npm start refuses to start on malformed settings and names every one', () => {
    const run = spawnSync(process.execPath, [path.join(ROOT, 'src/bot/start.ts')], {
      encoding: 'utf8',
      timeout: 30_000,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DISCORD_TOKEN: 'MTIz.abc.def',
        DISCORD_CLIENT_ID: '123456789012345678',
        MINIDJ_DISCORD_API: 'http://127.0.0.1:9',
        MINIDJ_MAX_MB: 'big',
        MINIDJ_RESUME: 'yes',
        MINIDJ_LOG_LEVEL: 'loud',
      },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('Mini-DJ cannot start:');
    for (const name of ['MINIDJ_MAX_MB is "big"', 'MINIDJ_RESUME is "yes"', 'MINIDJ_LOG_LEVEL is "loud"'])
      expect(run.stderr).toContain(name);
  });
});
