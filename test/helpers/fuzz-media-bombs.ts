import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ffmpegMake } from './ffmpeg-fixtures.ts';
import { mp4IndexBomb, rateBombArgs } from './hostile-media.ts';

/** Odd codecs in the containers we accept (1.5 s of a tone each, as the fuzz bases): codec, ffmpeg muxer, extension. */
const CODECS_IN_CONTAINERS: [string, string, string][] = [
  ['wavpack', 'matroska', 'mka'],
  ['tta', 'matroska', 'mka'],
  ['truehd', 'matroska', 'mka'],
  ['dca', 'matroska', 'mka'],
  ['mp2', 'matroska', 'mka'],
  ['ac3', 'matroska', 'mka'],
  ['adpcm_ima_wav', 'matroska', 'mka'],
  ['libspeex', 'matroska', 'mka'],
  ['alac', 'matroska', 'mka'],
  ['pcm_s16be', 'matroska', 'mka'],
  ['ac3', 'mp4', 'm4a'],
  ['eac3', 'mp4', 'm4a'],
  ['mp2', 'mp4', 'm4a'],
  ['alac', 'mp4', 'm4a'],
  ['adpcm_ms', 'wav', 'wav'],
  ['adpcm_ima_wav', 'wav', 'wav'],
  ['pcm_mulaw', 'wav', 'wav'],
  ['pcm_alaw', 'wav', 'wav'],
  ['libmp3lame', 'wav', 'wav'],
  ['libspeex', 'ogg', 'ogg'],
  ['flac', 'ogg', 'ogg'],
];

/** A copy of a canonical WAV (44-byte header) whose fmt chunk says `rate` Hz and `channels` channels. */
function wavHeaderSays(wav: Buffer, rate: number, channels: number): Buffer {
  const out = Buffer.from(wav);
  const bits = out.readUInt16LE(34);
  out.writeUInt16LE(channels, 22);
  out.writeUInt32LE(rate >>> 0, 24);
  out.writeUInt32LE((rate * channels * (bits / 8)) >>> 0, 28);
  out.writeUInt16LE(channels * (bits / 8), 32);
  return out;
}

/** Every `trun` (a fragment's sample run) says it holds `samples`. */
function trunSays(mp4: Buffer, samples: number): Buffer {
  const out = Buffer.from(mp4);
  for (let at = out.indexOf('trun', 0, 'latin1'); at >= 4; at = out.indexOf('trun', at + 4, 'latin1'))
    out.writeUInt32BE(samples, at + 8);
  return out;
}

/** An M4A whose `stsz` says each of `samples` samples has its own size, in a table the box does not hold. */
function stszTableOverrun(m4a: Buffer, samples: number): Buffer {
  const out = Buffer.from(m4a);
  const at = out.indexOf('stsz', 0, 'latin1');
  out.writeUInt32BE(0, at + 8);
  out.writeUInt32BE(samples, at + 12);
  return out;
}

/**
 * Issue 25's media bombs and their relatives, made with ffmpeg in `dir`: MP4 index bombs (85 M samples a track, as
 * sample runs of fragments, as a table its box does not hold), sample-rate and channel bombs (WavPack at 16 MHz and
 * 655 kHz in Matroska, WAV headers saying 16 MHz or 64 channels), and odd codecs in MKV, MP4, WAV and Ogg. Encoders
 * this ffmpeg lacks are left out. Named `media/…`.
 */
export function mediaBombs(dir: string): [string, Buffer][] {
  const make = (name: string, args: string[]): Buffer | undefined => {
    try {
      return readFileSync(ffmpegMake(path.join(dir, `bomb-src-${name}`), args));
    } catch {
      return undefined;
    }
  };
  const tone = (seconds: number, rate = 44100): string[] => [
    '-f',
    'lavfi',
    '-i',
    `aevalsrc=0.4*sin(2*PI*220*t)*exp(-6*mod(t\\,0.5)):s=${rate}:d=${seconds}`,
    '-ac',
    '2',
  ];
  const m4a = make('real.m4a', [...tone(5), '-c:a', 'aac', '-b:a', '96k'])!;
  const fragmented = make('frag.m4a', [
    ...tone(5),
    '-c:a',
    'aac',
    '-movflags',
    'frag_keyframe+empty_moov',
    '-frag_duration',
    '500000',
  ])!;
  const wav = make('real.wav', tone(1.5))!;
  const cases: [string, Buffer | undefined][] = [
    ['m4a-index-bomb-85M', mp4IndexBomb(m4a)],
    ['m4a-index-bomb-85M-delta1', mp4IndexBomb(m4a, 85_000_000, 1)],
    ['m4a-index-bomb-85M-delta0', mp4IndexBomb(m4a, 85_000_000, 0)],
    ['m4a-index-bomb-3M', mp4IndexBomb(m4a, 3_000_000)],
    ['m4a-stsz-table-overrun', stszTableOverrun(m4a, 85_000_000)],
    ['m4a-trun-bomb', trunSays(fragmented, 85_000_000)],
    ['mka-wavpack-16MHz', make('16m.mka', rateBombArgs(16_000_000, 0.3))],
    ['mka-wavpack-655kHz', make('655k.mka', rateBombArgs(655_350, 1))],
    ['wav-header-16MHz', wavHeaderSays(wav, 16_000_000, 2)],
    ['wav-header-64ch', wavHeaderSays(wav, 44100, 64)],
    ...CODECS_IN_CONTAINERS.map(([codec, muxer, ext]): [string, Buffer | undefined] => [
      `${ext}-${codec}`,
      make(`${codec}.${ext}`, [...tone(1.5, 48000), '-c:a', codec, '-strict', '-2', '-f', muxer]),
    ]),
  ];
  return cases
    .filter((c): c is [string, Buffer] => c[1] !== undefined)
    .map(([name, bytes]) => [`media/${name}`, bytes]);
}
