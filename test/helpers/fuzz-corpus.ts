import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRng } from '../../src/util/prng.ts';
import type { Rng } from '../../src/util/prng.ts';
import { ffmpegMake } from './ffmpeg-fixtures.ts';
import { mediaBombs } from './fuzz-media-bombs.ts';
import { dashManifest, ffconcat, hlsPlaylist, id3Tag } from './hostile-media.ts';

/** Short base files, one per container we accept, made by ffmpeg's lavfi (1.5 s: the fuzz is about bytes, not music). */
const BASES: [string, string[]][] = [
  ['tagged.mp3', ['-c:a', 'libmp3lame', '-b:a', '96k']],
  ['bare.mp3', ['-c:a', 'libmp3lame', '-b:a', '96k', '-id3v2_version', '0', '-write_xing', '0']],
  ['adts.aac', ['-c:a', 'aac', '-b:a', '96k', '-f', 'adts']],
  ['audio.m4a', ['-c:a', 'aac', '-b:a', '96k']],
  ['audio.flac', []],
  ['audio.wav', []],
  ['audio.aiff', []],
  ['vorbis.ogg', ['-c:a', 'libvorbis']],
  ['opus.ogg', ['-c:a', 'libopus', '-b:a', '64k']],
  ['audio.webm', ['-c:a', 'libopus', '-b:a', '64k']],
];

export interface FuzzTargets {
  /** A loopback URL that must never be requested. */
  url: string;
  /** A local file (a FIFO) that must never be opened, with a media extension. */
  canary: string;
}

export interface FuzzCase {
  file: string;
  mutation: string;
}

function makeBases(dir: string): Buffer[] {
  return BASES.map(([name, args]) => {
    const file = ffmpegMake(path.join(dir, `base-${name}`), [
      '-f',
      'lavfi',
      '-i',
      'aevalsrc=0.4*sin(2*PI*220*t)*exp(-6*mod(t\\,0.5))+0.1*sin(2*PI*880*t):s=44100:d=1.5',
      ...args,
    ]);
    return readFileSync(file);
  });
}

function flipBits(rng: Rng, b: Buffer, count: number, from = 0): Buffer {
  const out = Buffer.from(b);
  for (let i = 0; i < count; i++) {
    const at = rng.int(from, out.length);
    out[at] = out[at]! ^ (1 << rng.int(0, 8));
  }
  return out;
}

function randomBytes(rng: Rng, n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, () => rng.int(0, 256)));
}

const MAGICS = [
  'ID3\x04\x00\x00',
  'fLaC',
  'RIFF\xff\xff\xff\xffWAVE',
  'OggS\x00\x02',
  '\x00\x00\x00\x20ftypM4A ',
  '\x1a\x45\xdf\xa3',
  'FORM\x00\x00\x00\x00AIFF',
  '\xff\xfb\x90\x64',
  '\xff\xf1\x50\x80',
];

/** Every 4-byte-aligned occurrence of `tag` in `b` gets `value` as the 32-bit big-endian size before it. */
function setAtomSizes(b: Buffer, tag: string, value: number): Buffer {
  const out = Buffer.from(b);
  for (let at = out.indexOf(tag, 4, 'latin1'); at >= 4; at = out.indexOf(tag, at + 4, 'latin1'))
    out.writeUInt32BE(value >>> 0, at - 4);
  return out;
}

/** Ogg pages with junk between them (a resync test) and one page's length bytes mangled. */
function oggWithJunk(rng: Rng, b: Buffer): Buffer {
  const pages: Buffer[] = [];
  let last = 0;
  for (let at = b.indexOf('OggS', 1, 'latin1'); at > 0; at = b.indexOf('OggS', at + 4, 'latin1')) {
    pages.push(b.subarray(last, at), randomBytes(rng, rng.int(1, 300)));
    last = at;
  }
  pages.push(b.subarray(last));
  const out = Buffer.concat(pages);
  const page = out.indexOf('OggS', rng.int(0, out.length), 'latin1');
  if (page >= 0 && page + 27 < out.length) out[page + 26] = 255; // segment count
  return out;
}

/** The mutations of one base file: deterministic from `seed`. */
function mutate(rng: Rng, base: Buffer, targets: FuzzTargets): [string, Buffer][] {
  const cases: [string, Buffer][] = [];
  for (const fraction of [0.01, 0.1, 0.5, 0.9])
    cases.push([`truncated-${fraction}`, base.subarray(0, Math.max(1, Math.floor(base.length * fraction)))]);
  for (const count of [1, 10, 200]) cases.push([`bitflip-${count}`, flipBits(rng, base, count)]);
  cases.push(['bitflip-header', flipBits(rng, base, 8, 0).subarray(0)]);
  cases.push(['header-bytes-flipped', Buffer.concat([flipBits(rng, base.subarray(0, 64), 6), base.subarray(64)])]);
  const magic = rng.pick(MAGICS);
  cases.push([`wrong-header`, Buffer.concat([Buffer.from(magic, 'latin1'), base.subarray(magic.length)])]);
  cases.push(['zero-filled', Buffer.alloc(base.length)]);
  cases.push(['zeroed-after-header', Buffer.concat([base.subarray(0, 64), Buffer.alloc(base.length - 64)])]);
  cases.push(['random-after-header', Buffer.concat([base.subarray(0, 64), randomBytes(rng, base.length - 64)])]);
  cases.push(['id3-before', Buffer.concat([id3Tag(rng.int(0, 3000)), base])]);
  cases.push([
    'id3-huge-size',
    Buffer.concat([Buffer.from([0x49, 0x44, 0x33, 4, 0, 0, 0x7f, 0x7f, 0x7f, 0x7f]), base]),
  ]);
  cases.push(['doubled', Buffer.concat([base, base])]);
  cases.push([
    'spliced',
    Buffer.concat([base.subarray(0, base.length >> 1), randomBytes(rng, 4000), base.subarray(base.length >> 1)]),
  ]);
  cases.push(['riff-huge', setAtomSizes(setAtomSizes(base, 'RIFF', 0xffffffff), 'data', 0xfffffff0)]);
  cases.push([
    'atoms-bad',
    setAtomSizes(setAtomSizes(setAtomSizes(base, 'moov', 0xffffffff), 'trak', 7), 'stsz', 0x7fffffff),
  ]);
  cases.push(['ogg-junk', oggWithJunk(rng, base)]);
  cases.push([
    'playlist-inside',
    Buffer.concat([
      base.subarray(0, 200),
      Buffer.from(hlsPlaylist([`file://${targets.canary}`, `${targets.url}/seg.ts`])),
      base.subarray(200),
    ]),
  ]);
  return cases;
}

/** Files hiding other containers (the pen-test's) and plain junk. */
function hostile(rng: Rng, targets: FuzzTargets, bases: Buffer[]): [string, Buffer][] {
  const canaryName = path.basename(targets.canary);
  return [
    ['id3+dash', Buffer.concat([id3Tag(), Buffer.from(dashManifest(targets.url))])],
    ['id3+hls-file', Buffer.concat([id3Tag(), Buffer.from(hlsPlaylist([`file://${targets.canary}`]))])],
    ['id3+hls-http', Buffer.concat([id3Tag(), Buffer.from(hlsPlaylist([`${targets.url}/a.ts`]))])],
    ['id3+ffconcat', Buffer.concat([id3Tag(), Buffer.from(ffconcat([canaryName]))])],
    [
      'id3-padded+hls',
      Buffer.concat([id3Tag(100), Buffer.alloc(500), Buffer.from(hlsPlaylist([`file://${targets.canary}`]))]),
    ],
    ['id3+id3+dash', Buffer.concat([id3Tag(20), id3Tag(), Buffer.from(dashManifest(targets.url))])],
    [
      'frame+hls',
      Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.from(hlsPlaylist([`file://${targets.canary}`]))]),
    ],
    ['bare-dash', Buffer.from(dashManifest(targets.url))],
    ['bare-hls', Buffer.from(hlsPlaylist([`file://${targets.canary}`, `${targets.url}/b.ts`]))],
    ['bare-ffconcat', Buffer.from(ffconcat([canaryName]))],
    [
      'sdp',
      Buffer.from(
        `v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio ${new URL(targets.url).port} RTP/AVP 0\n`,
      ),
    ],
    ['id3+wav', Buffer.concat([id3Tag(), bases[5]!])],
    ['id3+ogg', Buffer.concat([id3Tag(), bases[7]!])],
    ['wav-in-ogg', Buffer.concat([bases[7]!.subarray(0, 300), bases[5]!])],
    ...Array.from({ length: 6 }, (_, i): [string, Buffer] => [`random-${i}`, randomBytes(rng, rng.int(1, 60_000))]),
    ['one-byte', Buffer.from([0xff])],
    ['tiny-id3', Buffer.from('ID3')],
  ];
}

/**
 * Writes the fuzz corpus into `dir`: the hostile files, then every base's mutations (every `every`-th of them), then
 * with `bombs` the media bombs (fuzz-media-bombs.ts).
 */
export function writeFuzzCorpus(dir: string, targets: FuzzTargets, seed: number, every = 1, bombs = false): FuzzCase[] {
  const bases = makeBases(dir);
  const rng = createRng(seed, 'fuzz');
  const mutated = bases.flatMap((base, i) =>
    mutate(rng, base, targets).map(([m, b]): [string, Buffer] => [`${BASES[i]![0]}~${m}`, b]),
  );
  const all = [
    ...hostile(rng, targets, bases),
    ...mutated.filter((_, i) => i % every === 0),
    ...(bombs ? mediaBombs(dir) : []),
  ];
  return all.map(([mutation, bytes], i) => {
    const file = path.join(dir, `fuzz-${String(i).padStart(3, '0')}.bin`);
    writeFileSync(file, bytes);
    return { file, mutation };
  });
}
