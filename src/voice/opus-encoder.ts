import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { WorkerCalls } from '../util/worker-calls.ts';

/**
 * libopus complexity 5 rather than its (and ffmpeg's) default 10: at 128 kb/s it keeps the pitch pre-filter and the
 * time-frequency analysis and drops the tonality analysis, for 40-60 % less encoder CPU (the WASM build: 1.91 -> 0.72 %
 * of a core per stream) and a critical-band error within 0.02 dB of 10's on released music, where 96 kb/s at 10 adds
 * 0.17 dB (test/voice-opus-fidelity.test.ts).
 */
export const DEFAULT_COMPLEXITY = 5;

/** What opus-worker.ts answers (src/util/worker-calls.ts): `open` and `close` are sent with no answer awaited. */
export type OpusCalls = {
  open: (encoder: { id: number; bitrateKbps: number; complexity: number }) => void;
  encode: (samples: { id: number; pcm: Float32Array }) => Uint8Array[];
  flush: (encoder: { id: number }) => Uint8Array[];
  close: (encoder: { id: number }) => void;
};

/** One encoder thread and the guild encoders it holds. */
class EncoderThread {
  readonly calls: WorkerCalls<OpusCalls>;
  encoders = 0;

  constructor(onDead: (thread: EncoderThread) => void) {
    this.calls = new WorkerCalls<OpusCalls>(new Worker(new URL('./opus-worker.ts', import.meta.url)), {
      exited: (code) => new Error(`the Opus encoder thread stopped (exit ${code})`),
      onLost: () => onDead(this),
      // Idle, it does not keep the process alive; while a reply is awaited it does.
      unrefWhenIdle: true,
    });
  }
}

export interface OpusEncoderHandle {
  /** 20 ms Opus packets for these interleaved stereo samples (a partial frame waits for the next call). */
  encode(pcm: Float32Array): Promise<Uint8Array[]>;
  /** The last packets: the partial frame and libopus's look-ahead, padded with silence. */
  flush(): Promise<Uint8Array[]>;
  close(): void;
}

/**
 * The live sets' Opus encoders in process: libopus as WebAssembly on a few threads of their own (one per core, at most
 * `maxThreads`), each guild's encoder on the thread that holds the fewest. Encoding there keeps it off the event loop
 * that runs the 20 ms audio cycle, and no Ogg is muxed by an encoder process and demuxed again.
 */
export class OpusEncoderPool {
  private readonly threads: EncoderThread[] = [];
  private readonly maxThreads: number;
  private nextId = 1;

  constructor(maxThreads = Math.max(1, Math.min(4, availableParallelism()))) {
    this.maxThreads = maxThreads;
  }

  /** Guild encoders open now (one per live set). */
  get openEncoders(): number {
    return this.threads.reduce((s, t) => s + t.encoders, 0);
  }

  private thread(): EncoderThread {
    const idle = this.threads.find((t) => t.encoders === 0);
    if (idle || this.threads.length >= this.maxThreads)
      return idle ?? this.threads.reduce((a, b) => (b.encoders < a.encoders ? b : a));
    const made = new EncoderThread((dead) => this.threads.splice(this.threads.indexOf(dead) >>> 0, 1));
    this.threads.push(made);
    return made;
  }

  open(bitrateKbps = 128, complexity = DEFAULT_COMPLEXITY): OpusEncoderHandle {
    const thread = this.thread();
    const id = this.nextId++;
    thread.encoders++;
    thread.calls.notify('open', { id, bitrateKbps, complexity });
    let closed = false;
    return {
      encode: (pcm) => {
        // A copy when the samples are a view into a larger buffer; a whole buffer is handed over (transferred).
        const whole =
          pcm.byteOffset === 0 && pcm.byteLength === pcm.buffer.byteLength && pcm.buffer instanceof ArrayBuffer;
        const own = whole ? pcm : pcm.slice();
        return thread.calls.call('encode', { id, pcm: own }, { transfer: [own.buffer as ArrayBuffer] });
      },
      flush: () => thread.calls.call('flush', { id }),
      close: () => {
        if (closed) return;
        closed = true;
        thread.encoders--;
        thread.calls.notify('close', { id });
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(
      this.threads.splice(0).map((t) => t.calls.terminate(new Error('the Opus encoder pool was closed'))),
    );
  }
}

let shared: OpusEncoderPool | undefined;
/** The process's encoder pool, made on first use. */
export function sharedOpusPool(): OpusEncoderPool {
  shared ??= new OpusEncoderPool();
  return shared;
}

export interface OpusPacketStream {
  /** Opus packets, one per 20 ms, for `new AudioResource([], [stream], …)` (StreamType.Opus: nothing to demux). */
  stream: Readable;
  /** Resolves when the set has been encoded to its end (or fails with why). */
  fed: Promise<void>;
  stop(): void;
}

/** Packets queued at most before production waits for the player (the pacing upstream normally keeps it near 1 s). */
const MAX_QUEUED_PACKETS = 150;

/**
 * One guild's set, encoded in process: its continuous PCM becomes 20 ms Opus packets (128 kb/s by default) in an
 * object-mode stream that the audio player reads one packet a cycle.
 */
export function opusPacketsFromPcm(
  pcm: AsyncIterable<Float32Array>,
  opts: { bitrateKbps?: number; complexity?: number; pool?: OpusEncoderPool } = {},
): OpusPacketStream {
  let wake: (() => void) | undefined;
  const stream = new Readable({
    objectMode: true,
    highWaterMark: MAX_QUEUED_PACKETS,
    read() {
      wake?.();
    },
  });
  const encoder = (opts.pool ?? sharedOpusPool()).open(opts.bitrateKbps ?? 128, opts.complexity);
  let stopped = false;
  const push = (packets: Uint8Array[]): void => {
    for (const p of packets) if (!stopped) stream.push(Buffer.from(p.buffer, p.byteOffset, p.byteLength));
  };
  const fed = (async () => {
    try {
      for await (const chunk of pcm) {
        if (stopped) break;
        push(await encoder.encode(chunk));
        while (!stopped && stream.readableLength >= MAX_QUEUED_PACKETS)
          await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      if (!stopped) push(await encoder.flush());
    } finally {
      encoder.close();
      // The end of the set (or why it failed): the player plays what is queued, then goes idle.
      if (!stream.destroyed) stream.push(null);
    }
  })();
  return {
    stream,
    fed,
    stop: () => {
      stopped = true;
      wake?.();
      encoder.close();
      stream.destroy();
    },
  };
}
