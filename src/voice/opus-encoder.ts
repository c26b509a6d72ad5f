import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';

export const OPUS_FRAME_MS = 20;
/**
 * libopus complexity 5 rather than its (and ffmpeg's) default 10: at 128 kb/s it keeps the pitch pre-filter and the
 * time-frequency analysis and drops the tonality analysis, for 40-60 % less encoder CPU (the WASM build: 1.91 -> 0.72 %
 * of a core per stream) and a critical-band error within 0.02 dB of 10's on released music, where 96 kb/s at 10 adds
 * 0.17 dB (test/voice-opus-fidelity.test.ts).
 */
export const DEFAULT_COMPLEXITY = 5;

export type OpusRequest =
  | { type: 'open'; id: number; bitrateKbps: number; complexity: number }
  | { type: 'encode'; id: number; seq: number; pcm: Float32Array }
  | { type: 'flush'; id: number; seq: number }
  | { type: 'close'; id: number };
export type OpusReply = { seq: number; ok: true; packets: Uint8Array[] } | { seq: number; ok: false; message: string };

interface Pending {
  resolve: (packets: Uint8Array[]) => void;
  reject: (error: Error) => void;
}

/** One encoder thread and the guild encoders it holds. */
class EncoderThread {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  encoders = 0;
  dead?: Error;

  constructor(onDead: (thread: EncoderThread) => void) {
    this.worker = new Worker(new URL('./opus-worker.ts', import.meta.url));
    // Idle, it does not keep the process alive; while a reply is awaited it does (see request).
    this.worker.unref();
    this.worker.on('message', (reply: OpusReply) => {
      const p = this.pending.get(reply.seq);
      if (!p) return;
      this.pending.delete(reply.seq);
      if (this.pending.size === 0) this.worker.unref();
      if (reply.ok) p.resolve(reply.packets);
      else p.reject(new Error(`the Opus encoder failed: ${reply.message}`));
    });
    const lost = (error: Error): void => {
      this.dead ??= error;
      for (const p of this.pending.values()) p.reject(this.dead);
      this.pending.clear();
      onDead(this);
    };
    this.worker.on('error', lost);
    this.worker.on('exit', (code) => lost(new Error(`the Opus encoder thread stopped (exit ${code})`)));
  }

  request(req: OpusRequest & { seq: number }, transfer: ArrayBuffer[] = []): Promise<Uint8Array[]> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(req.seq, { resolve, reject });
      this.worker.postMessage(req, transfer);
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
  private seq = 1;

  constructor(maxThreads = Math.max(1, Math.min(4, availableParallelism()))) {
    this.maxThreads = maxThreads;
  }

  /** Guild encoders open now (one per live set). */
  get openEncoders(): number {
    return this.threads.reduce((s, t) => s + t.encoders, 0);
  }

  private thread(): EncoderThread {
    const idle = this.threads.find((t) => t.encoders === 0);
    if (idle || this.threads.length >= this.maxThreads) return idle ?? this.threads.reduce((a, b) => (b.encoders < a.encoders ? b : a));
    const made = new EncoderThread((dead) => this.threads.splice(this.threads.indexOf(dead) >>> 0, 1));
    this.threads.push(made);
    return made;
  }

  open(bitrateKbps = 128, complexity = DEFAULT_COMPLEXITY): OpusEncoderHandle {
    const thread = this.thread();
    const id = this.nextId++;
    thread.encoders++;
    thread.worker.postMessage({ type: 'open', id, bitrateKbps, complexity } satisfies OpusRequest);
    let closed = false;
    return {
      encode: (pcm) => {
        // A copy when the samples are a view into a larger buffer; a whole buffer is handed over (transferred).
        const whole = pcm.byteOffset === 0 && pcm.byteLength === pcm.buffer.byteLength && pcm.buffer instanceof ArrayBuffer;
        const own = whole ? pcm : pcm.slice();
        return thread.request({ type: 'encode', id, seq: this.seq++, pcm: own }, [own.buffer as ArrayBuffer]);
      },
      flush: () => thread.request({ type: 'flush', id, seq: this.seq++ }),
      close: () => {
        if (closed) return;
        closed = true;
        thread.encoders--;
        if (!thread.dead) thread.worker.postMessage({ type: 'close', id } satisfies OpusRequest);
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.splice(0).map((t) => {
      t.worker.removeAllListeners('exit');
      return t.worker.terminate();
    }));
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
export function opusPacketsFromPcm(pcm: AsyncIterable<Float32Array>, opts: { bitrateKbps?: number; complexity?: number; pool?: OpusEncoderPool } = {}): OpusPacketStream {
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
        while (!stopped && stream.readableLength >= MAX_QUEUED_PACKETS) await new Promise<void>((resolve) => (wake = resolve));
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
