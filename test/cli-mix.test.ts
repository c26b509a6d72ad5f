import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PlannedTrack } from '../src/audio/transition/transition-plan.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { hashFile } from '../src/db/content-hash.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';
import { handsCrate } from './helpers/hands-crate.ts';

// Each test renders and measures minutes of audio: room for a machine that is busy with other work.
vi.setConfig({ testTimeout: 300_000 });

let tmp: ReturnType<typeof makeTempDir>;
let tracks: PlannedTrack[] = [];

beforeAll(async () => {
  tmp = makeTempDir();
  ({ tracks } = await handsCrate());
  // The crate's analyses are already in the command's store, as after `minidj analyze` (cli-analyze tests that path).
  const store = await AnalysisStore.open(path.join(tmp.dir, 'cli.sqlite'));
  for (const t of tracks)
    await store.put({
      hash: await hashFile(t.file),
      sourceName: path.basename(t.file),
      bytes: statSync(t.file).size,
      analysis: t.analysis,
    });
  await store.close();
}, 180_000);
afterAll(() => tmp.cleanup());

describe('minidj mix', () => {
  it('writes an Ogg Opus set and a report with every transition', () => {
    const out = path.join(tmp.dir, 'cli-set.ogg');
    const reportFile = path.join(tmp.dir, 'report.json');
    const run = spawnSync(
      process.execPath,
      [
        path.resolve('bin/minidj.js'),
        'mix',
        ...tracks.map((t) => t.file),
        '--out',
        out,
        '--report',
        reportFile,
        '--order',
        'queue',
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, MINIDJ_DB: path.join(tmp.dir, 'cli.sqlite') },
      },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(out).subarray(0, 4).toString('ascii')).toBe('OggS');
    const report = JSON.parse(readFileSync(reportFile, 'utf8'));
    expect(report.transitions).toHaveLength(2);
    for (const t of report.transitions) {
      for (const field of ['startSec', 'from', 'to', 'style', 'overlapBars', 'stretchPct', 'score', 'explanation'])
        expect(t, field).toHaveProperty(field);
      expect(t.from).toHaveProperty('bpm');
      expect(t.to).toHaveProperty('camelot');
    }
    expect(run.stdout).toMatch(/^Wrote .*cli-set\.ogg: \d+:\d\d with 2 transitions/);
  });

  it('takes a mix style, --style whole|dj and --bars 4|8|16|32, and refuses others before any work', () => {
    for (const [args, error] of [
      [['--style', 'party'], '--style is dj or whole'],
      [['--style', 'whole', '--bars', '12'], '--bars is 4, 8, 16 or 32'],
    ] as const) {
      const run = spawnSync(
        process.execPath,
        [path.resolve('bin/minidj.js'), 'mix', tracks[0]!.file, '--out', path.join(tmp.dir, 'never.ogg'), ...args],
        { encoding: 'utf8' },
      );
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(error);
    }
  });
});
