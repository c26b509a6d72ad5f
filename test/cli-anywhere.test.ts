import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { collectAudio, listAudioFiles } from '../src/cli/audio-files.ts';
import { storeTarget } from '../src/db/open-keyv.ts';
import { TrackFiles } from '../src/db/track-files.ts';
import { writeSynthTrack } from '../src/synth/synth-cli.ts';
import { structureForBars } from '../src/synth/track-synth.ts';
import { minidjHome, PACKAGE_ROOT } from '../src/util/minidj-home.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';

vi.setConfig({ testTimeout: 120_000 });

let tmp: ReturnType<typeof makeTempDir>;
let home: string;
let elsewhere: string;
let binDir: string;

/**
 * `minidj` as a global install or `npm link` runs it: a link to bin/minidj.js on PATH, started by whatever Node is
 * first there, in a folder that has nothing to do with the project (with a .env of its own that must not be read).
 */
function minidj(args: string[]) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${binDir}${path.delimiter}${process.env.PATH}`,
    MINIDJ_HOME: home,
  };
  delete env.MINIDJ_DB;
  delete env.MINIDJ_TRACKS_DIR;
  const run = spawnSync('minidj', args, { cwd: elsewhere, encoding: 'utf8', env });
  return { ...run, stderr: run.stderr.replace(/^minidj: using the 2018 ffmpeg.*\n/m, '') };
}

beforeAll(async () => {
  tmp = makeTempDir();
  home = path.join(tmp.dir, 'home');
  elsewhere = path.join(tmp.dir, 'somewhere', 'else');
  binDir = path.join(tmp.dir, 'bin');
  const audio = path.join(tmp.dir, 'music');
  for (const dir of [home, elsewhere, binDir, audio, path.join(elsewhere, 'links')])
    mkdirSync(dir, { recursive: true });
  symlinkSync(path.join(PACKAGE_ROOT, 'bin/minidj.js'), path.join(binDir, 'minidj'));
  // The home's .env is read; the one in the folder minidj runs in is not (it would put the store there).
  writeFileSync(path.join(home, '.env'), `MINIDJ_TRACKS_DIR=${path.join(home, 'kept')}\n`);
  writeFileSync(path.join(elsewhere, '.env'), `MINIDJ_DB=wrong.sqlite\nMINIDJ_TRACKS_DIR=wrong-tracks\n`);
  await writeSynthTrack(path.join(audio, 'a.wav'), {
    bpm: 124,
    key: 'A',
    scale: 'minor',
    seed: 11,
    sections: structureForBars(16),
  });
  await writeSynthTrack(path.join(audio, 'b.wav'), {
    bpm: 125,
    key: 'E',
    scale: 'minor',
    seed: 12,
    sections: structureForBars(16),
  });
  // Links to files in one folder, and a link to the whole folder.
  for (const name of ['a.wav', 'b.wav']) symlinkSync(path.join(audio, name), path.join(elsewhere, 'links', name));
  symlinkSync(audio, path.join(elsewhere, 'linked-folder'));
}, 120_000);
afterAll(() => tmp.cleanup());

describe('the defaults are the project folder, not the folder a command runs in', () => {
  it('puts the store and the library audio in MINIDJ_HOME, else in the project folder', () => {
    expect(minidjHome({})).toBe(PACKAGE_ROOT);
    expect(storeTarget(undefined, '/somewhere/else', minidjHome({}))).toEqual({
      kind: 'sqlite',
      uri: `sqlite://${path.join(PACKAGE_ROOT, 'data/minidj.sqlite')}`,
    });
    expect(minidjHome({ MINIDJ_HOME: '/srv/minidj' })).toBe('/srv/minidj');
    // A path the user typed is still theirs: from where the command runs.
    expect(storeTarget('mine.sqlite', '/somewhere/else', '/srv/minidj').uri).toBe(
      'sqlite:///somewhere/else/mine.sqlite',
    );
    expect(new TrackFiles().dir).toBe(path.join(minidjHome(), 'data/tracks'));
  });
});

describe('minidj from an unrelated folder, on symbolic links', () => {
  it('analyze, suggest, mix and library add use the home store and .env, and follow the links', () => {
    const analyzed = minidj(['analyze', 'links/a.wav', 'links/b.wav', '--json']);
    expect(analyzed.status, analyzed.stderr).toBe(0);
    const records = analyzed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; bpm: number; cached: boolean });
    expect(records.map((r) => [r.file, r.cached])).toEqual([
      ['links/a.wav', false],
      ['links/b.wav', false],
    ]);
    expect(Math.abs(records[0]!.bpm - 124)).toBeLessThan(0.2);
    expect(existsSync(path.join(home, 'data/minidj.sqlite'))).toBe(true);
    expect(existsSync(path.join(elsewhere, 'data'))).toBe(false);
    expect(existsSync(path.join(elsewhere, 'wrong.sqlite'))).toBe(false);

    // A link to a folder: both tracks, analysed already (from the home store).
    const suggested = minidj(['suggest', 'links/a.wav', '--library', 'linked-folder']);
    expect(suggested.status, suggested.stderr).toBe(0);
    expect(suggested.stdout).toMatch(/^After a\.wav \(124\.\d BPM\), from 2 tracks:\n1\. b\.wav — score/);

    const mixed = minidj(['mix', 'links', '--out', 'set.wav', '--order', 'queue']);
    expect(mixed.status, mixed.stderr).toBe(0);
    expect(mixed.stdout).toMatch(/^Wrote set\.wav: \d+:\d\d with 1 transition, rendered in/);
    expect(readFileSync(path.join(elsewhere, 'set.wav')).subarray(0, 4).toString('ascii')).toBe('RIFF');

    // library add keeps the audio where the home's .env says.
    const added = minidj(['library', 'add', 'linked-folder', '--shared', '--json']);
    expect(added.status, added.stderr).toBe(0);
    expect(
      added.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { library: string }).library),
    ).toEqual(['shared', 'shared']);
    expect(readdirSync(path.join(home, 'kept')).filter((f) => f.endsWith('.wav'))).toHaveLength(2);
    expect(existsSync(path.join(elsewhere, 'wrong-tracks'))).toBe(false);
  });
});

describe('reading folders of audio', () => {
  it('follows links to files and to folders, lists a folder reached twice once, and skips a broken link', async () => {
    const dir = path.join(tmp.dir, 'walk');
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    symlinkSync(path.join(tmp.dir, 'music'), path.join(dir, 'sub', 'linked'));
    symlinkSync(dir, path.join(dir, 'sub', 'loop'));
    symlinkSync(path.join(tmp.dir, 'music', 'a.wav'), path.join(dir, 'one.wav'));
    symlinkSync(path.join(tmp.dir, 'gone.wav'), path.join(dir, 'broken.wav'));
    expect((await listAudioFiles(dir)).map((f) => path.relative(dir, f))).toEqual([
      'one.wav',
      'sub/linked/a.wav',
      'sub/linked/b.wav',
    ]);
  });

  it('refuses a folder without audio (library add printed nothing and exited 0)', async () => {
    mkdirSync(path.join(tmp.dir, 'empty'));
    await expect(collectAudio([path.join(tmp.dir, 'empty')])).rejects.toThrow(/holds no audio files/);
  });
});
