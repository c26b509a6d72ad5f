import { createRequire } from 'node:module';
import type { WirePacket } from './fake-voice-server.ts';

/** Samples per channel in one 20 ms frame at 48 kHz, and the channels. */
const FRAME = 960;
const CH = 2;
const FRAME_MS = 20;
/** libopus's encoder delay at 48 kHz (OPUS_GET_LOOKAHEAD): decoded sample i is input sample i - 312. */
const LOOKAHEAD = 312;
/**
 * Each run is decoded by a new decoder, without the encoder's history (a listener's decoder would conceal the loss
 * instead), and a silence frame the player slips in (as it resumes) leaves the decoder's history off the encoder's for
 * a few frames (CELT predicts each frame's energy from the last): those frames are left out of the comparison, and
 * runs too short for that are not compared.
 */
const WARMUP_FRAMES = 15;
const MIN_COMPARED_FRAMES = 20;
/** The Opus frame a player sends for silence (what a listener hears as a gap). */
const SILENCE = Buffer.from([0xf8, 0xff, 0xfe]);
/** A break in arrivals shorter than this is jitter, not a gap a listener's jitter buffer would let through. */
const GAP_REPORT_MS = 40;

interface WasmDecoder {
  decode(packet: Uint8Array): Uint8Array;
}
const require = createRequire(import.meta.url);
const { Decoder } = require('@evan/opus/wasm/index.js') as {
  Decoder: new (o: { channels: 2; sample_rate: 48000 }) => WasmDecoder;
};

/** Packets received back to back: one SSRC, consecutive sequence numbers, all decrypted. */
export interface WireRun {
  ssrc: number;
  /** When its first and last packets arrived (s after the first packet checked). */
  fromSec: number;
  toSec: number;
  packets: number;
  /** The set's frame (20 ms each, from the set's start) its first audio packet carries, and how many it carries. */
  firstFrame: number;
  frames: number;
  /** Its decoded audio against the set as rendered, sample by sample (Pearson). */
  correlation: number;
}

/** A break a listener hears: arrivals stopped for `stallMs` beyond the frame, and `skippedMs` of the set never came. */
export interface WireGap {
  /** When the audio came back (performance.now(), ms) and how far into the check (s). */
  at: number;
  atSec: number;
  stallMs: number;
  skippedMs: number;
}

export interface WireReport {
  packets: number;
  /** Set audio received (20 ms each) and silence frames received. */
  audioFrames: number;
  silenceFrames: number;
  undecryptable: number;
  /** Why packets could not be decrypted, and how many for each reason. */
  errors: Record<string, number>;
  /** Frames end-to-end encrypted (DAVE) and passed through in clear (inside the transport encryption). */
  e2ee: number;
  passthrough: number;
  /** Packets missing by RTP sequence number, timestamps not 960 apart per packet, transport nonces used twice. */
  sequenceGaps: number;
  timestampErrors: number;
  nonceRepeats: number;
  /** Decrypted Opus packets that are no packet the bot's encoder produced, and frames of the set that came again or late. */
  foreign: number;
  outOfOrder: number;
  runs: WireRun[];
  /** Frame-weighted mean of the runs' correlations, and the lowest. */
  correlation: number;
  minCorrelation: number;
  gaps: WireGap[];
  maxStallMs: number;
  skippedMs: number;
  /** |arrival interval - 20 ms| between consecutive packets of a run (ms). */
  jitter: { p50: number; p99: number; max: number };
}

/** Pearson correlation accumulated frame by frame. */
class Correlation {
  private n = 0;
  private sa = 0;
  private sb = 0;
  private saa = 0;
  private sbb = 0;
  private sab = 0;

  add(a: Float32Array | Int16Array, aScale: number, b: Float32Array, bFrom: number): void {
    for (let i = 0; i < a.length; i++) {
      const j = bFrom + i;
      if (j < 0 || j >= b.length) continue;
      const x = a[i]! * aScale,
        y = b[j]!;
      this.n++;
      this.sa += x;
      this.sb += y;
      this.saa += x * x;
      this.sbb += y * y;
      this.sab += x * y;
    }
  }

  get value(): number {
    const { n, sa, sb } = this;
    const den = Math.sqrt((this.saa - (sa * sa) / n) * (this.sbb - (sb * sb) / n));
    return n > 1 && den > 0 ? (this.sab - (sa * sb) / n) / den : 0;
  }
}

const isSilence = (opus: Buffer): boolean => opus.equals(SILENCE);

/** Splits the packets into runs and counts what the transport got wrong on the way. */
function splitRuns(packets: WirePacket[], report: WireReport): WirePacket[][] {
  const runs: WirePacket[][] = [];
  const last = new Map<number, WirePacket>();
  const nonces = new Map<number, Set<number>>();
  let run: WirePacket[] = [];
  for (const p of packets) {
    const prev = last.get(p.ssrc);
    const seqStep = prev ? (p.sequence - prev.sequence + 65536) % 65536 : 1;
    if (prev && seqStep !== 1) report.sequenceGaps += seqStep < 32768 ? seqStep - 1 : 1;
    if (prev && (p.timestamp - prev.timestamp + 2 ** 32) % 2 ** 32 !== (seqStep * FRAME) % 2 ** 32)
      report.timestampErrors += 1;
    const seen = nonces.get(p.ssrc) ?? new Set<number>();
    nonces.set(p.ssrc, seen);
    if (seen.has(p.nonce)) report.nonceRepeats += 1;
    seen.add(p.nonce);
    last.set(p.ssrc, p);
    const continues = run.length > 0 && run.at(-1)!.ssrc === p.ssrc && seqStep === 1;
    if (!continues && run.length > 0) runs.push(run);
    if (!continues) run = [];
    if (!p.opus) {
      report.undecryptable += 1;
      const why = p.error ?? 'no payload';
      report.errors[why] = (report.errors[why] ?? 0) + 1;
      if (run.length > 0) runs.push(run);
      run = [];
      continue;
    }
    if (p.e2ee) report.e2ee += 1;
    else if (!isSilence(p.opus)) report.passthrough += 1;
    run.push(p);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** Which frame of the set each Opus packet the encoder produced carries (identical packets: every frame that has it). */
function frameIndex(sent: Buffer[]): Map<string, number[]> {
  const index = new Map<string, number[]>();
  sent.forEach((p, i) => {
    const key = p.toString('base64');
    index.set(key, [...(index.get(key) ?? []), i]);
  });
  return index;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function addGap(report: WireReport, gap: WireGap): void {
  report.maxStallMs = Math.max(report.maxStallMs, gap.stallMs);
  report.skippedMs += Math.max(0, gap.skippedMs);
  if (gap.stallMs > GAP_REPORT_MS || gap.skippedMs !== 0)
    report.gaps.push({ ...gap, stallMs: Math.round(gap.stallMs) });
}

/**
 * What a listener's client makes of the packets a voice server received. The transport: every packet there, in order,
 * decryptable, 20 ms apart. The content: each decrypted Opus packet is one the bot's encoder produced (`sent`, in the
 * set's order: packet i carries frame i), so where it belongs in the set is known exactly; decoded, it must be the set
 * as rendered there (`rendered`, 48 kHz stereo interleaved) — the codec's fidelity, sample by sample.
 */
export function checkWire(packets: WirePacket[], rendered: Float32Array, sent: Buffer[]): WireReport {
  const report: WireReport = {
    packets: packets.length,
    audioFrames: 0,
    silenceFrames: 0,
    undecryptable: 0,
    errors: {},
    e2ee: 0,
    passthrough: 0,
    sequenceGaps: 0,
    timestampErrors: 0,
    nonceRepeats: 0,
    foreign: 0,
    outOfOrder: 0,
    runs: [],
    correlation: 0,
    minCorrelation: 1,
    gaps: [],
    maxStallMs: 0,
    skippedMs: 0,
    jitter: { p50: 0, p99: 0, max: 0 },
  };
  const index = frameIndex(sent);
  const t0 = packets[0]?.at ?? 0;
  const jitters: number[] = [];
  let prev: { at: number; frame: number } | undefined;
  for (const run of splitRuns(packets, report)) {
    const decoder = new Decoder({ channels: 2, sample_rate: 48000 });
    const corr = new Correlation();
    let firstFrame = -1;
    let count = 0;
    /** Frames left before the decoder's state is the encoder's again (after the run's start, or a silence frame). */
    let warmup = WARMUP_FRAMES;
    run.forEach((p, k) => {
      if (k > 0) jitters.push(Math.abs(p.at - run[k - 1]!.at - FRAME_MS));
      const pcm = new Int16Array(decoder.decode(p.opus!).slice().buffer);
      if (isSilence(p.opus!)) {
        report.silenceFrames += 1;
        warmup = WARMUP_FRAMES;
        return;
      }
      const frames = index.get(p.opus!.toString('base64'));
      const frame = frames?.find((i) => i > (prev?.frame ?? -1)) ?? frames?.at(-1);
      if (frame === undefined) return void (report.foreign += 1);
      if (prev && frame <= prev.frame) report.outOfOrder += 1;
      if (prev)
        addGap(report, {
          at: p.at,
          atSec: (p.at - t0) / 1000,
          stallMs: p.at - prev.at - FRAME_MS,
          skippedMs: (frame - prev.frame - 1) * FRAME_MS,
        });
      prev = { at: p.at, frame };
      if (firstFrame < 0) firstFrame = frame;
      count += 1;
      if (warmup > 0) warmup -= 1;
      else corr.add(pcm, 1 / 32768, rendered, (frame * FRAME - LOOKAHEAD) * CH);
    });
    report.audioFrames += count;
    if (count >= WARMUP_FRAMES + MIN_COMPARED_FRAMES) {
      report.runs.push({
        ssrc: run[0]!.ssrc,
        fromSec: (run[0]!.at - t0) / 1000,
        toSec: (run.at(-1)!.at - t0) / 1000,
        packets: run.length,
        firstFrame,
        frames: count,
        correlation: corr.value,
      });
    }
  }
  const weighted = report.runs.reduce((s, r) => s + r.correlation * r.frames, 0);
  const counted = report.runs.reduce((s, r) => s + r.frames, 0);
  report.correlation = counted > 0 ? weighted / counted : 0;
  report.minCorrelation = Math.min(1, ...report.runs.map((r) => r.correlation));
  jitters.sort((a, b) => a - b);
  report.jitter = { p50: percentile(jitters, 0.5), p99: percentile(jitters, 0.99), max: jitters.at(-1) ?? 0 };
  return report;
}

export interface WireLimits {
  minCorrelation: number;
  /** Longest break in arrivals (beyond the frame) a listener's jitter buffer is assumed to hide. */
  maxStallMs: number;
  /** Set audio that may be lost in all (a fault's packets in flight). */
  maxSkippedMs: number;
  /** Packets that may be missing by sequence number (a fault that drops them). */
  maxSequenceGaps: number;
  /** Frames passed through in clear (with DAVE: none once the group is up). */
  maxPassthrough: number;
  /** Silence frames among the set's: the player ran dry, or it resumed (it sends one as it restarts). */
  maxSilenceFrames: number;
  minAudioSec: number;
}

/** What is wrong with what arrived, in words; empty when it is what a listener should hear. */
export function wireProblems(r: WireReport, limits: WireLimits): string[] {
  const problems: string[] = [];
  const audioSec = (r.audioFrames * FRAME_MS) / 1000;
  for (const [why, n] of Object.entries(r.errors))
    problems.push(`${n} of ${r.packets} packets could not be decrypted (${why})`);
  if (r.sequenceGaps > limits.maxSequenceGaps)
    problems.push(`${r.sequenceGaps} packets missing by RTP sequence number`);
  if (r.timestampErrors > 0) problems.push(`${r.timestampErrors} RTP timestamps not 960 samples per packet apart`);
  if (r.nonceRepeats > 0) problems.push(`${r.nonceRepeats} transport nonces used twice`);
  if (r.foreign > 0) problems.push(`${r.foreign} packets are not what the bot's encoder produced`);
  if (r.outOfOrder > 0) problems.push(`${r.outOfOrder} frames of the set came again or out of order`);
  if (r.silenceFrames > limits.maxSilenceFrames) problems.push(`${r.silenceFrames} silence frames among the set's`);
  if (r.passthrough > limits.maxPassthrough) problems.push(`${r.passthrough} frames were not end-to-end encrypted`);
  if (audioSec < limits.minAudioSec) problems.push(`only ${audioSec.toFixed(2)} s of the set arrived`);
  if (r.minCorrelation < limits.minCorrelation)
    problems.push(
      `the audio does not match the rendered set: correlation ${r.minCorrelation.toFixed(4)} < ${limits.minCorrelation}`,
    );
  if (r.maxStallMs > limits.maxStallMs) problems.push(`no audio arrived for ${Math.round(r.maxStallMs)} ms`);
  if (r.skippedMs > limits.maxSkippedMs) problems.push(`${r.skippedMs} ms of the set never arrived`);
  return problems;
}
