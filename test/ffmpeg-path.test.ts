import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSuitableFfmpeg, locateFfmpeg, OLD_FFMPEG_WARNING } from '../src/audio/io/ffmpeg-path.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';

const ALL_LIBS = '--enable-gpl --enable-librubberband --enable-libsoxr --enable-libopus --enable-libmp3lame';
const version = (first: string, configuration: string, lavf = 59): string =>
  `ffmpeg version ${first} Copyright (c) 2000-2024 the FFmpeg developers\nbuilt with gcc 12\nconfiguration: ${configuration}\nlibavutil      57. 28.100 / 57. 28.100\nlibavformat    ${lavf}. 27.100 / ${lavf}. 27.100\n`;

let tmp: ReturnType<typeof makeTempDir>;
beforeAll(() => {
  tmp = makeTempDir();
});
afterAll(() => tmp.cleanup());

/** A folder holding an `ffmpeg` that prints `text` for -version (what the selection reads; it decodes nothing). */
function pathWith(name: string, text: string): string {
  const dir = path.join(tmp.dir, name);
  mkdirSync(dir);
  const file = path.join(dir, 'ffmpeg');
  writeFileSync(file, `#!/bin/sh\ncat <<'END'\n${text}END\n`);
  chmodSync(file, 0o755);
  return dir;
}

describe('which ffmpeg is used', () => {
  it.each([
    ['Debian 12', version('5.1.9-0+deb12u1', ALL_LIBS), true],
    ['a release 7 build', version('7.1', ALL_LIBS, 61), true],
    ['a git build after 5.0', version('N-112233-gabcdef', ALL_LIBS, 60), true],
    ['the 2018 static build', version('N-47683-g0e8eb07980-static', ALL_LIBS, 58), false],
    ['4.4', version('4.4.2-0ubuntu0.22.04.1', ALL_LIBS, 58), false],
    ['5.1 without rubberband', version('5.1.2', '--enable-gpl --enable-libsoxr --enable-libopus'), false],
    ['5.1 without soxr', version('5.1.2', '--enable-gpl --enable-librubberband --enable-libopus'), false],
    ['5.1 without opus', version('5.1.2', '--enable-gpl --enable-librubberband --enable-libsoxr'), false],
  ])('%s: suitable %s', (_name, text, ok) => {
    expect(isSuitableFfmpeg(text)).toBe(ok);
  });

  it('prefers FFMPEG_PATH, then a suitable ffmpeg on PATH, and falls back to the 2018 build with a warning', () => {
    const good = pathWith('good', version('6.1.1', ALL_LIBS, 60));
    const old = pathWith('old', version('4.4.2', ALL_LIBS, 58));
    const warnings: string[] = [];
    const warn = (t: string) => warnings.push(t);
    expect(locateFfmpeg({ FFMPEG_PATH: path.join(old, 'ffmpeg'), PATH: good }, warn)).toEqual({
      path: path.join(old, 'ffmpeg'),
      source: 'FFMPEG_PATH',
    });
    expect(locateFfmpeg({ PATH: `${good}${path.delimiter}${old}` }, warn)).toEqual({
      path: path.join(good, 'ffmpeg'),
      source: 'PATH',
    });
    expect(warnings).toEqual([]);
    const fallback = locateFfmpeg({ PATH: old }, warn);
    expect(fallback.source).not.toBe('PATH');
    if (fallback.source === '@ffmpeg-installer/ffmpeg') expect(warnings).toEqual([OLD_FFMPEG_WARNING]);
  });
});
