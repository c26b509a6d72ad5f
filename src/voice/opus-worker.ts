// The Opus encoders of the live sets, on a thread of their own (see opus-encoder.ts): libopus compiled to WebAssembly
// (@evan/opus's WASM build, SIMD where the CPU has it), one encoder state per guild, 20 ms frames of 48 kHz stereo.
import { createRequire } from 'node:module';
import { parentPort } from 'node:worker_threads';
import type { OpusReply, OpusRequest } from './opus-encoder.ts';

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
const port = parentPort!;

port.on('message', (req: OpusRequest) => {
  if (req.type === 'open') {
    encoders.set(req.id, new GuildEncoder(req.bitrateKbps, req.complexity));
    return;
  }
  if (req.type === 'close') {
    encoders.get(req.id)?.drop();
    encoders.delete(req.id);
    return;
  }
  const encoder = encoders.get(req.id);
  const packets: Uint8Array[] = [];
  let reply: OpusReply;
  try {
    if (!encoder) throw new Error('no such encoder');
    if (req.type === 'encode') encoder.encode(req.pcm, packets);
    else encoder.flush(packets);
    reply = { seq: req.seq, ok: true, packets };
  } catch (error) {
    reply = { seq: req.seq, ok: false, message: (error as Error).message };
  }
  port.postMessage(reply);
});
