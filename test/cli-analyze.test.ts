import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSynthTrack } from '../src/synth/synth-cli.ts';
import { structureForBars } from '../src/synth/track-synth.ts';
import { ffmpegMake, makeTempDir } from './helpers/ffmpeg-fixtures.ts';

const BIN = path.resolve('bin/minidj.js');
let tmp: ReturnType<typeof makeTempDir>;
let good: string;
let tagged: string;
const TAGS = { title: 'Glass Steps', artist: 'Night Drive', album: 'Tides' };

beforeAll(async () => {
  tmp = makeTempDir();
  good = path.join(tmp.dir, 'good.wav');
  await writeSynthTrack(good, { bpm: 126, key: 'E', scale: 'minor', seed: 5, sections: structureForBars(32) });
  tagged = ffmpegMake(path.join(tmp.dir, 'tagged.flac'), [
    '-f',
    'lavfi',
    '-i',
    "aevalsrc='0.5*sin(2*PI*110*t)*exp(-8*mod(t,0.5))+0.2*sin(2*PI*440*t)':s=44100:d=10",
    ...Object.entries(TAGS).flatMap(([k, v]) => ['-metadata', `${k.toUpperCase()}=${v}`]),
  ]);
});
afterAll(() => tmp.cleanup());

function minidj(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, MINIDJ_DB: path.join(tmp.dir, 'cli.sqlite') },
  });
}

const REQUIRED_FIELDS = [
  'file',
  'durationSec',
  'bpm',
  'bpmConfidence',
  'beats',
  'downbeats',
  'key',
  'scale',
  'camelot',
  'keyStrength',
  'loudnessLufs',
  'truePeakDb',
  'energy',
  'brightnessHz',
  'segments',
  'cues',
  'analyzerVersion',
];

describe('minidj analyze', () => {
  it('prints one JSON object per file in order, errors included, and exits 1 when one failed', () => {
    const junk = path.join(tmp.dir, 'junk.mp3');
    writeFileSync(junk, 'not audio at all');
    const run = minidj(['analyze', good, junk, tagged, '--json']);
    expect(run.status).toBe(1);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    for (const field of REQUIRED_FIELDS) expect(lines[0], field).toHaveProperty(field);
    expect(lines[0]!.file).toBe(good);
    expect(Math.abs((lines[0]!.bpm as number) - 126)).toBeLessThan(0.2);
    expect(lines[0]!.camelot).toBe('9A');
    expect((lines[0]!.cues as { mixIn: number }).mixIn).toBeTypeOf('number');
    expect(lines[1]).toEqual({
      file: junk,
      code: 'corrupt',
      error: expect.stringMatching(/^This is not audio that can be decoded/) as unknown,
    });
    // The file's own tags (FLAC's, in capitals here), and none for a file without.
    expect(lines[0]!.tags).toEqual({});
    expect(lines[2]!.tags).toEqual(TAGS);
  });

  it('answers the second time from the store and exits 0 when all succeed', () => {
    const run = minidj(['analyze', good, tagged, '--json']);
    expect(run.status).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.cached)).toEqual([true, true]);
    expect(lines[1]!.tags).toEqual(TAGS);
  });

  it('prints a readable line without --json', () => {
    const run = minidj(['analyze', good]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      /^✓ .*good\.wav: \d+:\d\d, 126\.0 BPM \(conf \d\.\d\d\), E minor \(9A\), -?\d+\.\d LUFS, \d+ bars/,
    );
  });

  it('explains usage mistakes with exit code 2', () => {
    const none = minidj(['analyze']);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('minidj: no files given');
    const unknown = minidj(['dance']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown command "dance"');
    const badFlag = minidj(['analyze', good, '--loud']);
    expect(badFlag.status).toBe(2);
    expect(badFlag.stderr).toMatch(/Unknown option '--loud'/);
  });
});
