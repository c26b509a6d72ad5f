// The whole-set test of set-engine.test.ts, on a thread of its own: renders the set to a file as `minidj mix` does,
// reads it back and measures it, while the file's other tests run on the main thread.
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { decodeWavInterleaved } from '../../src/audio/io/wav.ts';
import { mixSet } from '../../src/audio/set/mix-set.ts';
import type { MixResult, OrderedTracks } from '../../src/audio/set/mix-set.ts';
import { measureSet } from '../../src/eval/set-quality.ts';
import type { SetQuality } from '../../src/eval/set-quality.ts';

export interface MeasuredSetJob {
  ordered: OrderedTracks;
  out: string;
  targetLufs: number;
}

export interface MeasuredSet {
  result: MixResult;
  /** The set as written, 48 kHz stereo interleaved. */
  stereo: Float32Array;
  quality: SetQuality;
}

const { ordered, out, targetLufs } = workerData as MeasuredSetJob;
const result = await mixSet(ordered, out, 'queue', targetLufs);
const { stereo } = decodeWavInterleaved(readFileSync(out));
const quality = await measureSet(stereo, result.tracks, result.transitions, targetLufs);
const measured: MeasuredSet = { result, stereo, quality };
parentPort!.postMessage(measured, [stereo.buffer as ArrayBuffer]);
