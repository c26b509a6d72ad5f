/** RIFF/WAVE encoding (16-bit PCM with dither, or 32-bit float) and decoding (8/16/24/32-bit PCM, 32/64-bit float). */
import { endianness } from 'node:os';
import { mulberry32 } from '../../util/prng.ts';

export type WavFormat = 'pcm16' | 'float32';

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;
/** Fixed dither seed: the same samples always encode to the same bytes. */
const DITHER_SEED = 0x5eed_d17e;
const LITTLE_ENDIAN = endianness() === 'LE';

function checkChannels(channels: readonly Float32Array[], sampleRate: number): number {
  if (channels.length === 0 || channels.length > 0xffff) throw new RangeError('need 1..65535 channels');
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new RangeError(`bad sample rate ${sampleRate}`);
  const frames = channels[0]!.length;
  for (const ch of channels) if (ch.length !== frames) throw new RangeError('all channels must have the same length');
  return frames;
}

/** Quantizes to 16 bits with TPDF dither (±1 LSB triangular), clipping to the 16-bit range; NaN becomes 0. */
function toPcm16(channels: readonly Float32Array[], frames: number): Int16Array {
  const count = channels.length;
  const out = new Int16Array(frames * count);
  const random = mulberry32(DITHER_SEED);
  for (let c = 0; c < count; c++) {
    const ch = channels[c]!;
    for (let i = 0; i < frames; i++) {
      const x = ch[i]!;
      let v = Math.round((x === x ? x : 0) * 32768 + random() - random());
      if (v > 32767) v = 32767;
      else if (v < -32768) v = -32768;
      out[i * count + c] = v;
    }
  }
  return out;
}

function interleaveFloat(channels: readonly Float32Array[], frames: number): Float32Array {
  const count = channels.length;
  const out = new Float32Array(frames * count);
  for (let c = 0; c < count; c++) {
    const ch = channels[c]!;
    for (let i = 0; i < frames; i++) out[i * count + c] = ch[i]!;
  }
  return out;
}

/** Little-endian bytes of a typed array, copied without per-sample calls on little-endian machines. */
function littleEndianBytes(samples: Int16Array | Float32Array): Buffer {
  const bytes = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  if (!LITTLE_ENDIAN) {
    if (samples instanceof Int16Array) bytes.swap16();
    else bytes.swap32();
  }
  return bytes;
}

export function encodeWav(channels: Float32Array[], sampleRate: number, format: WavFormat = 'pcm16'): Buffer {
  const frames = checkChannels(channels, sampleRate);
  const count = channels.length;
  const bytesPerSample = format === 'pcm16' ? 2 : 4;
  const data = littleEndianBytes(format === 'pcm16' ? toPcm16(channels, frames) : interleaveFloat(channels, frames));
  // Non-PCM data needs the 18-byte fmt chunk (with cbSize) and a fact chunk.
  const fmtSize = format === 'pcm16' ? 16 : 18;
  const factSize = format === 'pcm16' ? 0 : 12;
  const headerSize = 12 + 8 + fmtSize + factSize + 8;
  if (headerSize - 8 + data.length > 0xffffffff) throw new RangeError('audio too long for a WAV file');
  const header = Buffer.alloc(headerSize);
  let o = 0;
  o += header.write('RIFF', o, 'ascii');
  o = header.writeUInt32LE(headerSize - 8 + data.length, o);
  o += header.write('WAVE', o, 'ascii');
  o += header.write('fmt ', o, 'ascii');
  o = header.writeUInt32LE(fmtSize, o);
  o = header.writeUInt16LE(format === 'pcm16' ? FORMAT_PCM : FORMAT_FLOAT, o);
  o = header.writeUInt16LE(count, o);
  o = header.writeUInt32LE(sampleRate, o);
  o = header.writeUInt32LE(sampleRate * count * bytesPerSample, o);
  o = header.writeUInt16LE(count * bytesPerSample, o);
  o = header.writeUInt16LE(bytesPerSample * 8, o);
  if (format === 'float32') {
    o = header.writeUInt16LE(0, o);
    o += header.write('fact', o, 'ascii');
    o = header.writeUInt32LE(4, o);
    o = header.writeUInt32LE(frames, o);
  }
  o += header.write('data', o, 'ascii');
  header.writeUInt32LE(data.length, o);
  return Buffer.concat([header, data]);
}

interface FmtChunk {
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
}

function parseFmt(buf: Buffer, at: number, size: number): FmtChunk {
  if (size < 16) throw new Error('WAV fmt chunk too short');
  let format = buf.readUInt16LE(at);
  if (format === FORMAT_EXTENSIBLE) {
    if (size < 40) throw new Error('WAV extensible fmt chunk too short');
    format = buf.readUInt16LE(at + 24); // first two bytes of the SubFormat GUID
  }
  return {
    format,
    channels: buf.readUInt16LE(at + 2),
    sampleRate: buf.readUInt32LE(at + 4),
    blockAlign: buf.readUInt16LE(at + 12),
    bitsPerSample: buf.readUInt16LE(at + 14),
  };
}

type SampleReader = (buf: Buffer, at: number) => number;

function sampleReader(fmt: FmtChunk): SampleReader {
  const { format, bitsPerSample: bits } = fmt;
  if (format === FORMAT_PCM) {
    if (bits === 8) return (b, at) => (b[at]! - 128) / 128;
    if (bits === 16) return (b, at) => b.readInt16LE(at) / 32768;
    if (bits === 24) return (b, at) => b.readIntLE(at, 3) / 8388608;
    if (bits === 32) return (b, at) => b.readInt32LE(at) / 2147483648;
  }
  if (format === FORMAT_FLOAT) {
    if (bits === 32) return (b, at) => b.readFloatLE(at);
    if (bits === 64) return (b, at) => b.readDoubleLE(at);
  }
  throw new Error(`unsupported WAV encoding: format ${format}, ${bits} bits`);
}

export function decodeWav(buf: Buffer): { sampleRate: number; channels: Float32Array[] } {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE file');
  }
  let fmt: FmtChunk | undefined;
  let dataAt = -1;
  let dataSize = 0;
  for (let at = 12; at + 8 <= buf.length;) {
    const id = buf.toString('ascii', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') fmt = parseFmt(buf, body, size);
    else if (id === 'data') {
      dataAt = body;
      // Streamed WAVs may carry a placeholder size; trust the bytes that are there.
      dataSize = Math.min(size, buf.length - body);
      break;
    }
    at = body + size + (size % 2);
  }
  if (!fmt) throw new Error('WAV has no fmt chunk');
  if (dataAt < 0) throw new Error('WAV has no data chunk');
  const { channels: count, blockAlign } = fmt;
  const bytesPerSample = fmt.bitsPerSample / 8;
  if (count === 0 || !Number.isInteger(bytesPerSample) || blockAlign < count * bytesPerSample) {
    throw new Error('WAV fmt chunk is inconsistent');
  }
  const read = sampleReader(fmt);
  const frames = Math.floor(dataSize / blockAlign);
  const channels: Float32Array[] = [];
  for (let c = 0; c < count; c++) channels.push(new Float32Array(frames));
  for (let i = 0; i < frames; i++) {
    const frameAt = dataAt + i * blockAlign;
    for (let c = 0; c < count; c++) channels[c]![i] = read(buf, frameAt + c * bytesPerSample);
  }
  return { sampleRate: fmt.sampleRate, channels };
}

/** A WAV file's first two channels as one interleaved stereo array (mono is duplicated). */
export function decodeWavInterleaved(buf: Buffer): { sampleRate: number; stereo: Float32Array } {
  const { sampleRate, channels } = decodeWav(buf);
  const l = channels[0]!;
  const r = channels[1] ?? l;
  const stereo = new Float32Array(l.length * 2);
  for (let i = 0; i < l.length; i++) {
    stereo[2 * i] = l[i]!;
    stereo[2 * i + 1] = r[i]!;
  }
  return { sampleRate, stereo };
}
