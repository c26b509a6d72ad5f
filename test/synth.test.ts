import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../src/audio/io/wav.ts';
import { writeSynthTrack } from '../src/synth/synth-cli.ts';
import {
  DEFAULT_SECTIONS,
  structureForBars,
  synthesizeTrack,
  type SynthOptions,
  type SynthSection,
  type SynthTrack,
} from '../src/synth/track-synth.ts';

const SECTIONS: SynthSection[] = [
  { label: 'intro', bars: 8 },
  { label: 'build', bars: 8 },
  { label: 'drop', bars: 8 },
  { label: 'breakdown', bars: 8 },
  { label: 'outro', bars: 8 },
];
const OPTS: SynthOptions = { bpm: 128, key: 'A', scale: 'minor', seed: 7, sampleRate: 22050, sections: SECTIONS };

function db(power: number): number {
  return 10 * Math.log10(power + 1e-30);
}

function mono(track: SynthTrack): Float32Array {
  const out = new Float32Array(track.left.length);
  for (let i = 0; i < out.length; i++) out[i] = (track.left[i]! + track.right[i]!) / 2;
  return out;
}

/** 24 dB/oct low-pass (two RBJ biquads), enough to isolate the kick-and-bass band. */
function lowpass(x: Float32Array, sampleRate: number, cutoffHz: number): Float32Array {
  const w = (2 * Math.PI * cutoffHz) / sampleRate;
  const alpha = Math.sin(w) / (2 * Math.SQRT1_2);
  const cos = Math.cos(w);
  const a0 = 1 + alpha;
  const b0 = (1 - cos) / 2 / a0;
  const b1 = (1 - cos) / a0;
  const a1 = (-2 * cos) / a0;
  const a2 = (1 - alpha) / a0;
  let src = x;
  for (let pass = 0; pass < 2; pass++) {
    const y = new Float32Array(x.length);
    let x1 = 0;
    let x2 = 0;
    let y1 = 0;
    let y2 = 0;
    for (let i = 0; i < src.length; i++) {
      const xi = src[i]!;
      const yi = b0 * xi + b1 * x1 + b0 * x2 - a1 * y1 - a2 * y2;
      x2 = x1;
      x1 = xi;
      y2 = y1;
      y1 = yi;
      y[i] = yi;
    }
    src = y;
  }
  return src;
}

function highpass(x: Float32Array, sampleRate: number, cutoffHz: number): Float32Array {
  const low = lowpass(x, sampleRate, cutoffHz);
  return x.map((v, i) => v - low[i]!);
}

/** Mean power of x over the given [start, end) second windows. */
function power(x: Float32Array, sampleRate: number, windows: [number, number][]): number {
  let sum = 0;
  let n = 0;
  for (const [start, end] of windows) {
    for (let i = Math.round(start * sampleRate); i < Math.round(end * sampleRate); i++) {
      sum += x[i]! * x[i]!;
      n++;
    }
  }
  return sum / n;
}

function peak(track: SynthTrack): number {
  let p = 0;
  for (let i = 0; i < track.left.length; i++) p = Math.max(p, Math.abs(track.left[i]!), Math.abs(track.right[i]!));
  return p;
}

function sameSamples(a: Float32Array, b: Float32Array): boolean {
  return (
    a.length === b.length &&
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
  );
}

let track: SynthTrack;

beforeAll(() => {
  track = synthesizeTrack(OPTS);
});

describe('synthesizeTrack: determinism', () => {
  it('gives bit-identical samples for the same options', () => {
    const again = synthesizeTrack({ ...OPTS, sections: SECTIONS.map((s) => ({ ...s })) });
    expect(sameSamples(again.left, track.left)).toBe(true);
    expect(sameSamples(again.right, track.right)).toBe(true);
    expect(again.truth).toEqual(track.truth);
  });

  it('gives a different track for a different seed', () => {
    const other = synthesizeTrack({ ...OPTS, seed: 8, firstDownbeatSec: track.truth.firstDownbeatSec });
    expect(other.left.length).toBe(track.left.length);
    let differing = 0;
    for (let i = 0; i < track.left.length; i++) if (other.left[i] !== track.left[i]) differing++;
    expect(differing / track.left.length).toBeGreaterThan(0.5);
  });

  it('derives a lead-in in [0, 0.6) s from the seed unless one is given', () => {
    const leadIns = [1, 2, 3, 4, 5].map(
      (seed) => synthesizeTrack({ ...OPTS, seed, sections: [{ label: 'drop', bars: 1 }] }).truth.firstDownbeatSec,
    );
    for (const t of leadIns) {
      expect(t).toBeGreaterThanOrEqual(0);
      expect(t).toBeLessThan(0.6);
    }
    expect(new Set(leadIns).size).toBe(leadIns.length);
    const fixed = synthesizeTrack({ ...OPTS, firstDownbeatSec: 0.25, sections: [{ label: 'drop', bars: 1 }] });
    expect(fixed.truth.firstDownbeatSec).toBe(0.25);
    expect(fixed.truth.beats[0]).toBe(0.25);
  });
});

describe('synthesizeTrack: truth', () => {
  it('describes the key, tempo and length', () => {
    const { truth } = track;
    expect(truth).toMatchObject({ bpm: 128, key: 'A', scale: 'minor', camelot: '8A', beatsPerBar: 4 });
    expect(truth.progression).toHaveLength(4);
    expect(track.sampleRate).toBe(22050);
    expect(track.right.length).toBe(track.left.length);
    expect(truth.durationSec).toBe(track.left.length / track.sampleRate);
    // Music plus at most a bar of tail.
    const end = truth.sections[truth.sections.length - 1]!.end;
    expect(truth.durationSec).toBeGreaterThanOrEqual(end);
    expect(truth.durationSec).toBeLessThanOrEqual(end + (4 * 60) / 128 + 0.001);
  });

  it('normalizes key names and computes Camelot codes', () => {
    const t = synthesizeTrack({
      bpm: 100,
      key: 'Gb',
      scale: 'major',
      seed: 1,
      sampleRate: 8000,
      sections: [{ label: 'drop', bars: 1 }],
    });
    expect(t.truth).toMatchObject({ key: 'F#', scale: 'major', camelot: '2B' });
  });

  it('has beats exactly 60/bpm apart and a downbeat every 4 beats', () => {
    const { beats, downbeats, firstDownbeatSec } = track.truth;
    expect(beats).toHaveLength(40 * 4);
    expect(downbeats).toHaveLength(40);
    expect(beats[0]).toBe(firstDownbeatSec);
    for (let i = 1; i < beats.length; i++) expect(beats[i]! - beats[i - 1]!).toBeCloseTo(60 / 128, 9);
    downbeats.forEach((d, bar) => expect(d).toBe(beats[bar * 4]));
  });

  it('has contiguous sections that match the requested bars, and phrase boundaries every 8 bars', () => {
    const { sections, downbeats, phraseBoundaries, beats } = track.truth;
    expect(sections.map((s) => s.label)).toEqual(SECTIONS.map((s) => s.label));
    let bar = 0;
    sections.forEach((s, i) => {
      expect(s.startBar).toBe(bar);
      expect(s.endBar - s.startBar).toBe(SECTIONS[i]!.bars);
      expect(s.start).toBe(downbeats[s.startBar]);
      if (i > 0) expect(s.start).toBe(sections[i - 1]!.end);
      bar = s.endBar;
    });
    expect(sections[sections.length - 1]!.end).toBeCloseTo(beats[beats.length - 1]! + 60 / 128, 9);
    expect(phraseBoundaries).toEqual([0, 8, 16, 24, 32].map((b) => downbeats[b]));
  });
});

describe('synthesizeTrack: what the samples say', () => {
  const sr = OPTS.sampleRate!;
  const beatSec = 60 / OPTS.bpm;
  const section = (label: string): [number, number] => {
    const s = track.truth.sections.find((x) => x.label === label)!;
    return [s.start, s.end];
  };
  const beatsIn = (label: string): number[] => {
    const [start, end] = section(label);
    return track.truth.beats.filter((b) => b >= start && b < end);
  };
  let signal: Float32Array;
  let low: Float32Array;

  beforeAll(() => {
    signal = mono(track);
    low = lowpass(signal, sr, 150);
  });

  it('peaks at -1 dBFS and never clips', () => {
    expect(20 * Math.log10(peak(track))).toBeCloseTo(-1, 3);
    const loud = synthesizeTrack({ ...OPTS, targetPeakDb: 0, sections: [{ label: 'drop', bars: 2 }] });
    expect(peak(loud)).toBeLessThanOrEqual(1);
    expect(peak(loud)).toBeGreaterThan(0.999);
  });

  it('puts the kicks on the truth beats (onsets right after each intro beat, not before)', () => {
    const after = power(
      signal,
      sr,
      beatsIn('intro').map((b) => [b, b + 0.01]),
    );
    const before = power(
      signal,
      sr,
      beatsIn('intro').map((b) => [b - 0.01, b]),
    );
    expect(db(after) - db(before)).toBeGreaterThan(10);
  });

  it('has bass in the drop but not in the intro (low band between the kicks)', () => {
    const between = (label: string): number =>
      power(
        low,
        sr,
        beatsIn(label).map((b) => [b + 0.55 * beatSec, b + 0.95 * beatSec]),
      );
    expect(db(between('drop')) - db(between('intro'))).toBeGreaterThan(8);
  });

  it('has no kick and no bass in the breakdown', () => {
    expect(db(power(low, sr, [section('drop')])) - db(power(low, sr, [section('breakdown')]))).toBeGreaterThan(20);
  });

  it('makes the drop louder than the breakdown and the intro', () => {
    const drop = db(power(signal, sr, [section('drop')]));
    expect(drop - db(power(signal, sr, [section('breakdown')]))).toBeGreaterThan(4);
    expect(drop - db(power(signal, sr, [section('intro')]))).toBeGreaterThan(1.5);
  });

  it('builds up: the high band (riser, snare roll) is much louder in the last bar of the build than in its first', () => {
    const high = highpass(signal, sr, 2000);
    const [start, end] = section('build');
    const barSec = 4 * beatSec;
    expect(db(power(high, sr, [[end - barSec, end]])) - db(power(high, sr, [[start, start + barSec]]))).toBeGreaterThan(
      5,
    );
  });

  it('is stereo, but only a little wide', () => {
    const side = track.left.map((l, i) => (l - track.right[i]!) / 2);
    const ratio = db(power(side, sr, [section('drop')])) - db(power(signal, sr, [section('drop')]));
    expect(ratio).toBeGreaterThan(-30);
    expect(ratio).toBeLessThan(-6);
  });

  it('is near silence before the first downbeat', () => {
    const t = synthesizeTrack({ ...OPTS, firstDownbeatSec: 0.5, sections: [{ label: 'intro', bars: 1 }] });
    const before = db(power(mono(t), sr, [[0, 0.49]]));
    expect(before).toBeLessThan(-60);
    expect(before).toBeGreaterThan(-120); // room tone, not digital zero
  });
});

describe('synthesizeTrack: options', () => {
  it('rejects bad options', () => {
    const one: SynthSection[] = [{ label: 'drop', bars: 1 }];
    expect(() => synthesizeTrack({ ...OPTS, key: 'H', sections: one })).toThrow(/key/);
    expect(() => synthesizeTrack({ ...OPTS, bpm: 0, sections: one })).toThrow(/bpm/);
    expect(() => synthesizeTrack({ ...OPTS, sections: [] })).toThrow(/empty/);
    expect(() => synthesizeTrack({ ...OPTS, sections: [{ label: 'drop', bars: 1.5 }] })).toThrow(/bars/);
    expect(() => synthesizeTrack({ ...OPTS, firstDownbeatSec: -1, sections: one })).toThrow(/firstDownbeatSec/);
    expect(() => synthesizeTrack({ ...OPTS, targetPeakDb: 3, sections: one })).toThrow(/targetPeakDb/);
  });
});

describe('structureForBars', () => {
  it('gives the default 96-bar arrangement for 96 bars', () => {
    expect(structureForBars(96)).toEqual(DEFAULT_SECTIONS);
    expect(DEFAULT_SECTIONS.map((s) => `${s.label}:${s.bars}`).join(' ')).toBe(
      'intro:16 build:8 drop:16 breakdown:16 build:8 drop:16 outro:16',
    );
  });

  it('fills any length with whole phrases, the remainder going to the last section', () => {
    for (let bars = 1; bars <= 240; bars++) {
      const sections = structureForBars(bars);
      expect(sections.reduce((sum, s) => sum + s.bars, 0)).toBe(bars);
      sections.slice(0, -1).forEach((s) => expect(s.bars % 8).toBe(0));
      if (bars >= 8) expect(sections[sections.length - 1]!.bars - (bars % 8)).toBeGreaterThanOrEqual(8);
      expect(sections.some((s) => s.label === 'drop')).toBe(true);
      for (let i = 1; i < sections.length; i++) expect(sections[i]!.label).not.toBe(sections[i - 1]!.label);
      if (bars >= 16) expect(sections[0]!.label).toBe('intro');
    }
  });

  it('grows long tracks by adding breakdown–build–drop cycles', () => {
    const labels = structureForBars(160).map((s) => s.label);
    expect(labels.filter((l) => l === 'drop')).toHaveLength(3);
    expect(labels[labels.length - 1]).toBe('outro');
    expect(() => structureForBars(0)).toThrow();
  });
});

describe('writeSynthTrack', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'minidj-synth-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a 16-bit stereo WAV and its truth next to it', async () => {
    const file = path.join(dir, 'nested', 'track.wav');
    const opts: SynthOptions = {
      bpm: 100,
      key: 'F#',
      scale: 'major',
      seed: 3,
      sampleRate: 16000,
      sections: [{ label: 'drop', bars: 2 }],
    };
    const truth = await writeSynthTrack(file, opts);
    const buf = await readFile(file);
    expect(buf.toString('ascii', 0, 4)).toBe('RIFF');
    expect(buf.readUInt32LE(4)).toBe(buf.length - 8);
    expect(buf.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect(buf.readUInt16LE(20)).toBe(1);
    expect(buf.readUInt16LE(22)).toBe(2);
    expect(buf.readUInt32LE(24)).toBe(16000);
    expect(buf.readUInt16LE(34)).toBe(16);
    expect(buf.toString('ascii', 36, 40)).toBe('data');
    const frames = Math.round(truth.durationSec * 16000);
    expect(buf.readUInt32LE(40)).toBe(frames * 4);

    const decoded = decodeWav(buf);
    const direct = synthesizeTrack(opts);
    let maxError = 0;
    for (let i = 0; i < frames; i++)
      maxError = Math.max(maxError, Math.abs(decoded.channels[0]![i]! - direct.left[i]!));
    expect(maxError).toBeLessThanOrEqual(1.5 / 32768);

    const saved = JSON.parse(await readFile(`${file}.truth.json`, 'utf8')) as unknown;
    expect(saved).toEqual(truth);
    expect(truth).toMatchObject({ key: 'F#', scale: 'major', camelot: '2B', bpm: 100 });
  });
});
