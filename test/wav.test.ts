import { describe, expect, it } from 'vitest';
import { decodeWav, encodeWav } from '../src/audio/io/wav.ts';
import { mulberry32 } from '../src/util/prng.ts';

const LSB = 1 / 32768;

function noise(length: number, seed: number, amplitude: number): Float32Array {
  const random = mulberry32(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = (random() * 2 - 1) * amplitude;
  return out;
}

/** A hand-built WAV: fmt fields, optional extra chunks before data, raw data bytes. */
function buildWav(
  fmt: { format: number; channels: number; sampleRate: number; bits: number; extensible?: boolean },
  data: Buffer,
  extraChunks: Buffer[] = [],
): Buffer {
  const blockAlign = (fmt.channels * fmt.bits) / 8;
  const fmtBody = Buffer.alloc(fmt.extensible ? 40 : 16);
  fmtBody.writeUInt16LE(fmt.extensible ? 0xfffe : fmt.format, 0);
  fmtBody.writeUInt16LE(fmt.channels, 2);
  fmtBody.writeUInt32LE(fmt.sampleRate, 4);
  fmtBody.writeUInt32LE(fmt.sampleRate * blockAlign, 8);
  fmtBody.writeUInt16LE(blockAlign, 12);
  fmtBody.writeUInt16LE(fmt.bits, 14);
  if (fmt.extensible) {
    fmtBody.writeUInt16LE(22, 16);
    fmtBody.writeUInt16LE(fmt.bits, 18);
    fmtBody.writeUInt16LE(fmt.format, 24); // SubFormat GUID starts with the format tag
  }
  const chunk = (id: string, body: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.write(id, 0, 'ascii');
    head.writeUInt32LE(body.length, 4);
    return Buffer.concat(body.length % 2 ? [head, body, Buffer.alloc(1)] : [head, body]);
  };
  const body = Buffer.concat([
    Buffer.from('WAVE'),
    chunk('fmt ', fmtBody),
    ...extraChunks.map((c) => chunk('LIST', c)),
    chunk('data', data),
  ]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'ascii');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

describe('encodeWav / decodeWav', () => {
  it('round-trips 16-bit PCM within rounding plus dither (1.5 LSB), with dither actually applied', () => {
    const left = noise(20000, 1, 0.9);
    const right = noise(20000, 2, 0.5);
    const decoded = decodeWav(encodeWav([left, right], 48000, 'pcm16'));
    expect(decoded.sampleRate).toBe(48000);
    expect(decoded.channels).toHaveLength(2);
    let maxError = 0;
    let notPlainRounding = 0;
    let errorSum = 0;
    decoded.channels.forEach((ch, c) => {
      const src = c === 0 ? left : right;
      expect(ch.length).toBe(src.length);
      for (let i = 0; i < src.length; i++) {
        const err = ch[i]! - src[i]!;
        maxError = Math.max(maxError, Math.abs(err));
        errorSum += err;
        if (ch[i] !== Math.round(src[i]! * 32768) / 32768) notPlainRounding++;
      }
    });
    expect(maxError).toBeLessThanOrEqual(1.5 * LSB);
    // TPDF dither is zero-mean and changes the rounding of a good share of samples.
    expect(Math.abs(errorSum / 40000)).toBeLessThan(0.02 * LSB);
    expect(notPlainRounding).toBeGreaterThan(40000 * 0.2);
  });

  it('clips out-of-range 16-bit input safely and turns NaN into (dithered) silence', () => {
    const input = new Float32Array([1.5, -2, Number.NaN, Infinity, -Infinity, 1, -1]);
    const [ch] = decodeWav(encodeWav([input], 44100, 'pcm16')).channels;
    expect(ch![0]).toBe(32767 / 32768);
    expect(ch![1]).toBe(-1);
    expect(Math.abs(ch![2]!)).toBeLessThanOrEqual(LSB);
    expect(ch![3]).toBe(32767 / 32768);
    expect(ch![4]).toBe(-1);
    expect(ch![5]).toBe(32767 / 32768);
    expect(ch![6]).toBeGreaterThanOrEqual(-1);
    expect(ch![6]).toBeLessThanOrEqual(-1 + LSB);
  });

  it('encodes 16-bit PCM deterministically (fixed dither seed)', () => {
    const x = noise(5000, 3, 0.7);
    expect(encodeWav([x], 22050).equals(encodeWav([x], 22050))).toBe(true);
  });

  it('round-trips 32-bit float exactly, including values beyond full scale', () => {
    const left = noise(5000, 4, 1.2);
    left[0] = 1e-30;
    left[1] = -3.5;
    const right = noise(5000, 5, 0.01);
    const decoded = decodeWav(encodeWav([left, right], 96000, 'float32'));
    expect(decoded.sampleRate).toBe(96000);
    expect(Array.from(decoded.channels[0]!)).toEqual(Array.from(left));
    expect(Array.from(decoded.channels[1]!)).toEqual(Array.from(right));
  });

  it('writes a canonical 44-byte header for 16-bit PCM', () => {
    const frames = 1001;
    const buf = encodeWav([noise(frames, 6, 0.5), noise(frames, 7, 0.5)], 44100, 'pcm16');
    expect(buf.toString('ascii', 0, 4)).toBe('RIFF');
    expect(buf.readUInt32LE(4)).toBe(buf.length - 8);
    expect(buf.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect(buf.readUInt32LE(16)).toBe(16);
    expect(buf.readUInt16LE(20)).toBe(1); // PCM
    expect(buf.readUInt16LE(22)).toBe(2);
    expect(buf.readUInt32LE(24)).toBe(44100);
    expect(buf.readUInt32LE(28)).toBe(44100 * 4);
    expect(buf.readUInt16LE(32)).toBe(4);
    expect(buf.readUInt16LE(34)).toBe(16);
    expect(buf.toString('ascii', 36, 40)).toBe('data');
    expect(buf.readUInt32LE(40)).toBe(frames * 4);
    expect(buf.length).toBe(44 + frames * 4);
  });

  it('writes float32 as WAVE_FORMAT_IEEE_FLOAT with a fact chunk', () => {
    const frames = 3;
    const buf = encodeWav([new Float32Array([0.1, 0.2, 0.3])], 8000, 'float32');
    expect(buf.readUInt16LE(20)).toBe(3);
    expect(buf.readUInt16LE(34)).toBe(32);
    expect(buf.toString('ascii', 38, 42)).toBe('fact');
    expect(buf.readUInt32LE(46)).toBe(frames);
    expect(buf.toString('ascii', 50, 54)).toBe('data');
    expect(buf.readUInt32LE(54)).toBe(frames * 4);
    expect(buf.readUInt32LE(4)).toBe(buf.length - 8);
    expect(buf.length).toBe(58 + frames * 4);
  });

  it('decodes 24-bit and 32-bit PCM, 8-bit PCM, extensible fmt and skips odd-sized chunks', () => {
    const pcm24 = Buffer.alloc(6);
    pcm24.writeIntLE(4194304, 0, 3); // 0.5
    pcm24.writeIntLE(-8388608, 3, 3); // -1
    const a = decodeWav(buildWav({ format: 1, channels: 1, sampleRate: 44100, bits: 24 }, pcm24, [Buffer.from('odd')]));
    expect(Array.from(a.channels[0]!)).toEqual([0.5, -1]);

    const pcm32 = Buffer.alloc(8);
    pcm32.writeInt32LE(-1073741824, 0); // left -0.5
    pcm32.writeInt32LE(536870912, 4); // right 0.25
    const b = decodeWav(buildWav({ format: 1, channels: 2, sampleRate: 32000, bits: 32, extensible: true }, pcm32));
    expect(b.sampleRate).toBe(32000);
    expect(b.channels.map((ch) => ch[0])).toEqual([-0.5, 0.25]);

    const c = decodeWav(buildWav({ format: 1, channels: 1, sampleRate: 8000, bits: 8 }, Buffer.from([128, 192, 0])));
    expect(Array.from(c.channels[0]!)).toEqual([0, 0.5, -1]);
  });

  it('rejects what it cannot read', () => {
    expect(() => decodeWav(Buffer.from('not a wav file at all'))).toThrow(/RIFF/);
    expect(() => decodeWav(buildWav({ format: 2, channels: 1, sampleRate: 8000, bits: 16 }, Buffer.alloc(4)))).toThrow(
      /unsupported/,
    );
    expect(() => encodeWav([new Float32Array(3), new Float32Array(4)], 44100)).toThrow(/same length/);
    expect(() => encodeWav([], 44100)).toThrow();
  });
});
