import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../src/util/minidj-home.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';

const UNIT = path.join(PACKAGE_ROOT, 'deploy/minidj.service');
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;
const tmp = makeTempDir();
afterAll(() => tmp.cleanup());

/** `Key=value` lines of the unit, by key (a key given twice keeps both values). */
function settings(unit: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const m = /^(\w+)=(.*)$/.exec(line);
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

describe('deploy/minidj.service', () => {
  const unit = readFileSync(UNIT, 'utf8');

  it('runs what npm start runs, restarts on failure, and names the environment file and the data folder', () => {
    const s = settings(unit);
    expect(s.get('WorkingDirectory')).toEqual(['/opt/mini-dj']);
    expect(s.get('ExecStart')).toEqual(['/opt/mini-dj/node_modules/.bin/node src/bot/start.ts']);
    const start = (
      JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts.start!;
    expect(start.endsWith(' src/bot/start.ts')).toBe(true);
    expect(s.get('Restart')).toEqual(['on-failure']);
    expect(s.get('EnvironmentFile')).toEqual(['/etc/minidj/minidj.env']);
    expect(s.get('Environment')).toEqual(['MINIDJ_HOME=/var/lib/minidj']);
    expect(s.get('StateDirectory')).toEqual(['minidj']);
    // The manager alone gets SIGTERM (it stops the shards, which fade out), with time for the bot's own deadline.
    expect(s.get('KillMode')).toEqual(['mixed']);
    expect(Number(s.get('TimeoutStopSec')?.[0])).toBeGreaterThan(20);
  });

  // systemd-analyze comes with Debian's `systemd` package (.ci/run installs it); verify needs no running systemd.
  it.skipIf(!hasSystemdAnalyze)('passes systemd-analyze verify without a warning (paths set to this checkout)', () => {
    const local = path.join(tmp.dir, 'minidj.service');
    writeFileSync(local, unit.replaceAll('/opt/mini-dj', PACKAGE_ROOT.replace(/\/$/, '')));
    const run = spawnSync('systemd-analyze', ['verify', '--man=no', local], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
