// The Opus encoders of the live sets, on a thread of their own (see opus-encoder.ts): libopus compiled to WebAssembly
// (@evan/opus's WASM build, SIMD where the CPU has it), one encoder state per guild, 20 ms frames of 48 kHz stereo.
import { createRequire } from 'node:module';
import { serve } from '../util/worker-calls.ts';
import type { OpusCalls } from './opus-encoder.ts';

interface WasmEncoder {
  ctl(cmd: number, arg?: number): number;
  encode(pcm: ArrayBufferView): Uint8Array;
  drop(): void;
}
type WasmEncoderClass = new (opts: { channels: 2; sample_rate: 48000; application: 'audio' }) => WasmEncoder;

// The WASM build on purpose, not the package's default (a native addon it ships per platform): the same code on every
// machine, nothing native to trust or to fail loading.
const require = createRequire(import.meta.url);
const { Encoder } = require('@evan/opus/wasm/index.js') as { Encoder: WasmEncoderClass };

/** libopus's request codes (opus_defines.h). */
const SET_BITRATE = 4002;
const SET_COMPLEXITY = 4010;
const GET_LOOKAHEAD = 4027;

export const FRAME_SAMPLES = 960;
const CHANNELS = 2;

class GuildEncoder {
  private readonly encoder: WasmEncoder;
  /** One frame of interleaved 16-bit samples, filled across messages. */
  private readonly frame = new Int16Array(FRAME_SAMPLES * CHANNELS);
  private filled = 0;
  private readonly lookahead: number;

  constructor(bitrateKbps: number, complexity: number) {
    this.encoder = new Encoder({ channels: 2, sample_rate: 48000, application: 'audio' });
    this.encoder.ctl(SET_BITRATE, bitrateKbps * 1000);
    this.encoder.ctl(SET_COMPLEXITY, complexity);
    this.lookahead = this.encoder.ctl(GET_LOOKAHEAD);
  }

  encode(pcm: Float32Array, out: Uint8Array[]): void {
    const frame = this.frame;
    const size = frame.length;
    let filled = this.filled;
    for (let i = 0; i < pcm.length; i++) {
      // Float to 16 bits, rounded and clipped (the limiter keeps the set below −2 dBTP: clipping is a guard).
      const s = Math.round(pcm[i]! * 32768);
      frame[filled++] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
      if (filled === size) {
        out.push(this.encoder.encode(frame));
        filled = 0;
      }
    }
    this.filled = filled;
  }

  /** The end of the set: its last samples and libopus's look-ahead, as ffmpeg's libopus flushes them. */
  flush(out: Uint8Array[]): void {
    this.encode(new Float32Array(this.lookahead * CHANNELS), out);
    if (this.filled > 0) this.encode(new Float32Array(this.frame.length - this.filled), out);
  }

  drop(): void {
    this.encoder.drop();
  }
}

const encoders = new Map<number, GuildEncoder>();

function encoder(id: number): GuildEncoder {
  const found = encoders.get(id);
  if (!found) throw new Error('no such encoder');
  return found;
}

/** Runs one encode or flush; a failure says it is the encoder's. */
function packets(run: (out: Uint8Array[]) => void): Uint8Array[] {
  const out: Uint8Array[] = [];
  try {
    run(out);
  } catch (error) {
    throw new Error(`the Opus encoder failed: ${(error as Error).message}`, { cause: error });
  }
  return out;
}

serve<OpusCalls>({
  open: ({ id, bitrateKbps, complexity }) => {
    encoders.set(id, new GuildEncoder(bitrateKbps, complexity));
  },
  encode: ({ id, pcm }) => packets((out) => encoder(id).encode(pcm, out)),
  flush: ({ id }) => packets((out) => encoder(id).flush(out)),
  close: ({ id }) => {
    encoders.get(id)?.drop();
    encoders.delete(id);
  },
});
