import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { formatBytes } from '../../util/format-bytes.ts';
import { AudioInputError } from './audio-input-error.ts';

/**
 * ffmpeg's MP4 demuxer builds an index entry (24 bytes) for every sample of every track before the first packet is
 * read, from counts that cost a few bytes to declare: 85 M samples in a 20-byte `stsz` took 2.04 GB and 4–11 s per
 * ffmpeg. 20 min of 48 kHz AAC is 56,000 samples, of 60 fps video 72,000; this allows ~48 MB of index.
 */
const MAX_INDEX_ENTRIES = 2_000_000;
/** An index this large (moov, or one fragment's moof) is not a song's: 20 min of AAC needs ~250 KB. */
const MAX_INDEX_BOX_BYTES = 32 * 1024 * 1024;
/** Top-level boxes walked: a fragmented file has two a fragment (20 min in 0.1 s fragments: 24,000). */
const MAX_TOP_BOXES = 100_000;

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'moof', 'traf', 'mvex', 'edts']);

/** What one track's tables declare. */
interface TrackTables {
  handler?: string;
  /** stsz/stz2: constant sample size (0 = a size per sample) and sample count. */
  sampleSize: number;
  sampleCount: number;
  /** stts: total samples, entries, and the first entry's delta. */
  timedSamples: number;
  timeEntries: number;
  firstDelta: number;
  chunks: number;
}

function refuse(detail: string): never {
  throw new AudioInputError(
    'corrupt',
    `This file is damaged or built to exhaust memory: ${detail}. Re-export it as MP3, FLAC or WAV.`,
  );
}

/** The full-box tables whose entry count comes first: entry size, and which count to keep. */
const TABLES: Record<string, { entry: number; keep?: (t: TrackTables, count: number, body: Buffer) => void }> = {
  stts: { entry: 8, keep: (t, count, body) => sumStts(t, count, body) },
  ctts: { entry: 8 },
  stsc: { entry: 12 },
  stco: { entry: 4, keep: (t, count) => (t.chunks = count) },
  co64: { entry: 8, keep: (t, count) => (t.chunks = count) },
  stss: { entry: 4 },
  stps: { entry: 4 },
};

function sumStts(t: TrackTables, count: number, body: Buffer): void {
  t.timeEntries = count;
  t.firstDelta = count > 0 ? body.readUInt32BE(12) : 0;
  for (let i = 0; i < count; i++) t.timedSamples += body.readUInt32BE(8 + i * 8);
}

/** `body`: a box's payload. Checks each table fits its box and notes what the track declares. */
function readTable(type: string, body: Buffer, track: TrackTables): void {
  if (type === 'hdlr' && body.length >= 12) track.handler = body.toString('latin1', 8, 12);
  if (type === 'stsz' || type === 'stz2') {
    if (body.length < 12) refuse(`its ${type} box is cut short`);
    const count = body.readUInt32BE(8);
    const fieldBits = type === 'stsz' ? 32 : body.readUInt8(7);
    track.sampleSize = type === 'stsz' ? body.readUInt32BE(4) : 0;
    track.sampleCount = count;
    if (track.sampleSize === 0 && 12 + Math.ceil((count * fieldBits) / 8) > body.length)
      refuse(`its ${type} table declares ${count.toLocaleString('en')} samples in ${body.length} bytes`);
    return;
  }
  const table = TABLES[type];
  if (!table) return;
  if (body.length < 8) refuse(`its ${type} box is cut short`);
  const count = body.readUInt32BE(4);
  if (8 + count * table.entry > body.length)
    refuse(`its ${type} table declares ${count.toLocaleString('en')} entries in ${body.length} bytes`);
  table.keep?.(track, count, body);
}

/** Walks the boxes of `buf` (a moov or moof), calling `onTrack` with each track's tables, `onRun` with each trun's samples. */
function walk(
  buf: Buffer,
  onTrack: (t: TrackTables) => void,
  onRun: (samples: number) => void,
  track?: TrackTables,
): void {
  for (let at = 0; at + 8 <= buf.length;) {
    let size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    let header = 8;
    if (size === 1 && at + 16 <= buf.length) {
      size = Number(buf.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) size = buf.length - at;
    if (size < header || at + size > buf.length) return; // the demuxer stops there too
    const body = buf.subarray(at + header, at + size);
    if (type === 'trak') {
      const tables: TrackTables = {
        sampleSize: 0,
        sampleCount: 0,
        timedSamples: 0,
        timeEntries: 0,
        firstDelta: 0,
        chunks: 0,
      };
      walk(body, onTrack, onRun, tables);
      onTrack(tables);
    } else if (CONTAINERS.has(type)) walk(body, onTrack, onRun, track);
    else if (type === 'trun' && body.length >= 8) onRun(body.readUInt32BE(4));
    else if (track) readTable(type, body, track);
    at += size;
  }
}

/** Index entries ffmpeg builds for a track: a PCM track timed one sample per tick is indexed by chunk, others by sample. */
function indexEntries(t: TrackTables): number {
  const samples = Math.max(t.sampleCount, t.timedSamples);
  const byChunk = t.handler === 'soun' && t.sampleSize > 0 && t.timeEntries === 1 && t.firstDelta === 1;
  return byChunk ? t.chunks : samples;
}

async function readAt(handle: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buf, 0, length, offset);
  return buf.subarray(0, bytesRead);
}

/**
 * Refuses an MP4 whose sample tables declare more than its bytes can hold (every sample is at least a byte, a track of
 * constant-size samples exactly count × size) or more index than a song needs, before ffmpeg allocates for them.
 */
export async function checkMp4SampleTables(file: string, fileBytes: number): Promise<void> {
  const handle = await open(file, 'r');
  let entries = 0;
  let fragmentSamples = 0;
  const onTrack = (t: TrackTables): void => {
    const samples = Math.max(t.sampleCount, t.timedSamples);
    if (samples * Math.max(1, t.sampleSize) > fileBytes) {
      refuse(
        `a track declares ${samples.toLocaleString('en')} samples${t.sampleSize > 1 ? ` of ${t.sampleSize} bytes` : ''} in a ${formatBytes(fileBytes)} file`,
      );
    }
    entries += indexEntries(t);
  };
  const onRun = (samples: number): void => {
    fragmentSamples += samples;
    entries += samples;
  };
  try {
    let boxes = 0;
    for (let at = 0; at + 8 <= fileBytes; boxes++) {
      if (boxes >= MAX_TOP_BOXES) refuse(`it holds more than ${MAX_TOP_BOXES.toLocaleString('en')} boxes`);
      const head = await readAt(handle, at, 16);
      if (head.length < 8) break;
      let size = head.readUInt32BE(0);
      const type = head.toString('latin1', 4, 8);
      if (size === 1 && head.length >= 16) size = Number(head.readBigUInt64BE(8));
      else if (size === 0) size = fileBytes - at;
      if (size < 8) break;
      if (type === 'moov' || type === 'moof') {
        if (size > MAX_INDEX_BOX_BYTES) refuse(`its index (${type}) is ${formatBytes(size)}`);
        walk(await readAt(handle, at, Math.min(size, fileBytes - at)), onTrack, onRun);
      }
      at += size;
    }
  } finally {
    await handle.close();
  }
  if (fragmentSamples > fileBytes)
    refuse(`its fragments declare ${fragmentSamples.toLocaleString('en')} samples in a ${formatBytes(fileBytes)} file`);
  if (entries > MAX_INDEX_ENTRIES)
    refuse(
      `its index declares ${entries.toLocaleString('en')} samples, more than ${MAX_INDEX_ENTRIES.toLocaleString('en')} (over 5 hours of audio)`,
    );
}
