import path from 'node:path';
import type { DecoderProcess } from '../../util/spawner.ts';
import { AudioInputError } from './audio-input-error.ts';
import type { AudioInputErrorCode } from './audio-input-error.ts';
import { ffmpegLimitsFromEnv } from './ffmpeg-limits.ts';
import { hidePaths } from './ffmpeg-message.ts';
import { ffmpegPath } from './ffmpeg-path.ts';
import { MIX_CHANNELS, MIX_RATE } from './mix-format.ts';
import { startFfmpeg } from './ffmpeg-process.ts';
import { vetMedia } from './vet-media.ts';
import type { VettedMedia } from './vet-media.ts';
import { rubberbandTiming } from './rubberband-timing.ts';
import type { RubberbandTiming } from './rubberband-timing.ts';
import { isUnity, outputDuration } from '../transition/tempo-schedule.ts';
import type { TempoSchedule } from '../transition/tempo-schedule.ts';

/** Decoding starts this much early: rubberband needs a run-up, and the seek lands on a whole frame. */
const PRE_ROLL_SEC = 1;
/**
 * Unstretched decks start decoding on this grid of track time: 40 ms is a whole number of samples at every common rate
 * (8 to 96 kHz) and at 48 kHz, so the resampler's grid is the same whichever frame a deck opens at, and two decks of
 * one file give the same samples at the same track time (a reopened deck continues the waveform exactly).
 */
const START_GRID_SEC = 0.04;
const DEFAULT_HIGH_WATER_FRAMES = MIX_RATE * 4;
/**
 * Up to this stretch rubberband adjusts each bin's phase on its own (`phase=independent`); beyond it, with its
 * neighbours' (`laminar`, the default). Measured against the time-mapped unstretched source on six clips (real and
 * synthesized), independent is nearer on every clip from −3 % to +3 % (at −1.5 % and +1.6 %: log-spectral distance
 * 0.7–1.8 dB against 1.5–3.0 dB, bins 60 dB under the frame's peak ignored) and keeps hi-hat attacks that laminar
 * smears (up to 15 dB less rise above 3 kHz); it is also about 10 % cheaper. At 4.5–6 % laminar is nearer on some
 * clips.
 */
const INDEPENDENT_PHASE_MAX_STRETCH = 0.03;

/** Refusals by the rules, which no reopening changes: the set cuts past the track at once. */
const RULE_REFUSALS: ReadonlySet<AudioInputErrorCode> = new Set(['unsupported', 'corrupt', 'no-audio', 'truncated']);

/** Niceness of the decoders this thread starts (see setDeckNiceness). */
let deckNiceness = 0;

/**
 * Decoders started from this thread from now on run at this niceness (0–19): the transition renderer's thread lowers
 * its own, so renders take what CPU the live streams leave.
 */
export function setDeckNiceness(nice: number): void {
  deckNiceness = nice;
}

export interface DeckOptions {
  file: string;
  /** Track time (input seconds) of the first output frame. */
  fromSec: number;
  /**
   * Track time (input seconds) where decoding may stop; default the end of the track. A deck that is read only in
   * part should say so: otherwise ffmpeg keeps stretching, up to the high-water mark, audio no one reads.
   */
  toSec?: number;
  /** Tempo changes in track time; empty or all-1 = no time-stretching. */
  schedule?: TempoSchedule;
  /** Linear gain applied to every sample (loudness matching). */
  gain?: number;
  /** Frames buffered before ffmpeg is paused (default 4 s): a deck read later but decoded now needs more. */
  highWaterFrames?: number;
  ffmpeg?: string;
  /** The file as vetted on another thread (the set's, for the renderer's): used without probing again when unchanged. */
  media?: VettedMedia;
  /**
   * Rubberband's start-up and retime lead (rubberband-timing.ts); default what the probe measures on this ffmpeg,
   * once per process. Given, it is used as is (tests: a wrong value must show).
   */
  timing?: RubberbandTiming;
}

/**
 * The schedule as the deck plays it: when its first change is at or before the first frame read, the pre-roll is
 * stretched at that tempo too (it is skipped, so its tempo is free). Rubberband then starts at the tempo it keeps, as
 * the second half of a split head always did; the first half used to start at tempo 1 and change at B's entry, and
 * the two halves met 2.7 ms (±2.4 %) to 5.4 ms (±4.8 %) apart.
 */
function fromTheStart(schedule: TempoSchedule, start: number, fromSec: number): TempoSchedule {
  const first = schedule[0];
  if (!first || first.atSec <= start || first.atSec > fromSec + 1e-9) return schedule;
  return [{ atSec: start, tempo: first.tempo }, ...schedule.slice(1)];
}

/** The tempo in force where decoding starts: the filter's own; later changes are commands. */
function initialTempo(schedule: TempoSchedule, start: number): number {
  return schedule.filter((s) => s.atSec <= start).at(-1)?.tempo ?? 1;
}

export interface DeckFilterOptions {
  schedule: TempoSchedule;
  /** Track time where decoding starts. */
  start: number;
  /** Rubberband's timing when the deck stretches, else undefined. */
  timing: RubberbandTiming | undefined;
  seeksExactly: boolean;
  /** The source's rate, as vetted. */
  sampleRate: number;
  gain: number;
}

/**
 * A deck's filter chain. Stretch before resampling where the source is at most 48 kHz: rubberband's cost grows with
 * the sample rate, and 44.1 kHz sources are the norm. A source above it is resampled to 48 kHz first, so rubberband
 * never sees more (its cost at 655 kHz was 17× that at 44.1 kHz). Where an input seek is not exact (Ogg, WebM), the
 * file is decoded from its start and what precedes `start` dropped, counted in samples decoded (the demuxer's
 * timestamps are off there too: a codec delay, a lapped block), then timed from 0 again for the commands.
 */
export function deckFilters(o: DeckFilterOptions): string[] {
  const { schedule, start, timing } = o;
  const independent = schedule.every((s) => Math.abs(s.tempo - 1) <= INDEPENDENT_PHASE_MAX_STRETCH);
  const phase = independent ? 'independent' : 'laminar';
  // Later changes are commands, in input time relative to the start, sent late by the lead (rubberband applies a
  // change to the input it already holds).
  const lead = timing?.leadSec[phase] ?? 0;
  const commands = schedule
    .filter((s) => s.atSec > start)
    .map((s) => `${(s.atSec - start + lead).toFixed(5)} rubberband tempo ${s.tempo.toFixed(6)}`)
    .join(';');
  const filters =
    o.seeksExactly || start === 0 ? [] : ['asetpts=N/SR/TB', `atrim=start=${start.toFixed(6)}`, 'asetpts=PTS-STARTPTS'];
  filters.push('aformat=sample_fmts=flt:channel_layouts=stereo');
  if (timing) {
    if (o.sampleRate > MIX_RATE) filters.push(`aresample=${MIX_RATE}:resampler=soxr`);
    filters.push(
      'asetnsamples=n=256',
      ...(commands ? [`asendcmd=c='${commands}'`] : []),
      `rubberband=tempo=${initialTempo(schedule, start).toFixed(6)}:transients=crisp:detector=compound:phase=${phase}`,
    );
  }
  filters.push(`aresample=${MIX_RATE}:resampler=soxr`);
  if (o.gain !== 1) filters.push(`volume=${o.gain.toFixed(6)}`);
  return filters;
}

/** Why a deck did not start, for the set: a rule's refusal as itself; a file gone (or a probe that died) as a decoder's death, tried again. */
/** A deck that would not open: `reason` is the refusal as the person who added the file should read it. */
export class DeckRefusal extends AudioInputError {
  readonly reason: string;

  constructor(code: AudioInputErrorCode, file: string, reason: string) {
    super(code, `${path.basename(file)} cannot be played: ${reason}`);
    this.reason = reason;
  }

  /** Refused by the rules for audio (which no reopening changes), not a decoder that stopped. */
  get byRules(): boolean {
    return RULE_REFUSALS.has(this.code);
  }
}

function refusal(file: string, err: unknown): AudioInputError {
  const reason = (err as Error).message;
  return new DeckRefusal(
    err instanceof AudioInputError && RULE_REFUSALS.has(err.code) ? err.code : 'decoder-crashed',
    file,
    reason,
  );
}

/**
 * Vets `file` for this thread's decks now (a probe, remembered), so the deck that opens it later starts at once: the
 * set asks when it picks a track, minutes before its body deck opens. Resolves to what was vetted (undefined when the
 * file is refused: the deck that opens it says why), for decks on other threads (`DeckOptions.media`).
 */
export function prepareDeck(file: string): Promise<VettedMedia | undefined> {
  // Refused: the deck that opens the file throws why.
  return vetMedia(file, { nice: deckNiceness }).catch(() => undefined);
}

/**
 * One deck: a track streamed from ffmpeg as 48 kHz stereo float, time-stretched by rubberband when a tempo schedule
 * asks for it, read in exact frame counts. Backpressure pauses ffmpeg, so a deck holds a few seconds at most.
 */
export class DeckReader {
  /** None when the file was refused before ffmpeg ran: reads then throw why. */
  private child?: DecoderProcess;
  private readonly chunks: Float32Array[] = [];
  private queued = 0;
  private skip = 0;
  private pending?: Buffer;
  private ended = false;
  private failure?: Error;
  private stderr = '';
  private wake?: () => void;
  private readonly highWater: number;

  constructor(opts: DeckOptions) {
    this.highWater = opts.highWaterFrames ?? DEFAULT_HIGH_WATER_FRAMES;
    const stretch = !isUnity(opts.schedule ?? []);
    const ffmpeg = opts.ffmpeg ?? ffmpegPath();
    // Vetted first (once per file and thread): the rules of the day, and the one stream to decode.
    const vetting = vetMedia(opts.file, { ffmpeg, nice: deckNiceness }, opts.media);
    // Rubberband's timing is this ffmpeg's: known after the first deck's probe, until then the probe is awaited. A
    // set's first deck plays unstretched: probe rubberband now (once per process), so the first stretched deck (a
    // transition's streamed ramp, read right after the render) does not wait for it.
    const timing = stretch ? (opts.timing ?? rubberbandTiming(ffmpeg)) : undefined;
    if (!stretch && !opts.timing) void rubberbandTiming(ffmpeg);
    Promise.all([vetting, timing]).then(
      ([media, known]) => {
        if (!this.ended) this.launch(opts, ffmpeg, media, known);
        this.wake?.();
      },
      (err: unknown) => {
        this.failure = refusal(opts.file, err);
        this.ended = true;
        this.wake?.();
      },
    );
  }

  private launch(opts: DeckOptions, ffmpeg: string, media: VettedMedia, timing: RubberbandTiming | undefined): void {
    const earliest = Math.max(0, opts.fromSec - PRE_ROLL_SEC);
    const start = timing ? earliest : Math.floor(earliest / START_GRID_SEC) * START_GRID_SEC;
    const schedule = fromTheStart(opts.schedule ?? [], start, opts.fromSec);
    const filters = deckFilters({
      schedule,
      start,
      timing,
      seeksExactly: media.seeksExactly,
      sampleRate: media.stream.sampleRate,
      gain: opts.gain ?? 1,
    });
    // Output frames that belong to the pre-roll (under the schedule, it may be stretched too), less rubberband's
    // start-up: its output starts as if its first `startSec` of input had played at tempo 1.
    const initial = initialTempo(schedule, start);
    const startup = timing ? timing.startSec * (1 / initial - 1) : 0;
    this.skip = Math.max(0, Math.round((outputDuration(schedule, start, opts.fromSec) - startup) * MIX_RATE));
    const seek = media.seeksExactly ? ['-ss', start.toFixed(5)] : [];
    const limit =
      opts.toSec === undefined ? [] : ['-t', Math.max(0, opts.toSec - (media.seeksExactly ? start : 0)).toFixed(5)];
    const args = [
      '-nostdin',
      '-hide_banner',
      '-v',
      'error',
      '-filter_threads',
      '1',
      ...seek,
      ...limit,
      ...media.inputArgs,
      ...media.mapArgs,
      '-af',
      filters.join(','),
      '-f',
      'f32le',
      '-acodec',
      'pcm_f32le',
      'pipe:1',
    ];
    this.child = startFfmpeg(ffmpeg, args, { limits: ffmpegLimitsFromEnv(), nice: deckNiceness });
    const child = this.child;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (t: string) => {
      if (this.stderr.length < 4000) this.stderr += t;
    });
    child.stdout.on('data', (data: Buffer) => this.onData(data));
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      // Closed by us (`ended` first) or done; a kill from elsewhere (a CPU limit, the OOM killer) is a decoder's death.
      if ((code !== 0 || signal) && !this.ended) {
        const why = hidePaths(this.stderr.trim(), opts.file).slice(0, 200);
        this.failure = new AudioInputError(
          'decoder-crashed',
          `ffmpeg stopped while playing ${path.basename(opts.file)} (${signal ?? `exit ${code}`}): ${why}`,
        );
      }
      this.ended = true;
      this.wake?.();
    });
    child.on('error', (err: Error) => {
      this.failure = new AudioInputError('decoder-crashed', `ffmpeg could not be started (${err.message})`);
      this.ended = true;
      this.wake?.();
    });
  }

  private onData(data: Buffer): void {
    const buf = this.pending ? Buffer.concat([this.pending, data]) : data;
    const usable = buf.length - (buf.length % (4 * MIX_CHANNELS));
    this.pending = usable < buf.length ? Buffer.from(buf.subarray(usable)) : undefined;
    if (usable === 0) return;
    // A view when the bytes are aligned (the usual case): no copy of the decoded stream.
    let samples: Float32Array;
    if (buf.byteOffset % 4 === 0) samples = new Float32Array(buf.buffer, buf.byteOffset, usable / 4);
    else {
      samples = new Float32Array(usable / 4);
      new Uint8Array(samples.buffer).set(buf.subarray(0, usable));
    }
    let frames = samples.length / MIX_CHANNELS;
    let view = samples;
    if (this.skip > 0) {
      const drop = Math.min(this.skip, frames);
      this.skip -= drop;
      frames -= drop;
      view = samples.subarray(drop * MIX_CHANNELS);
    }
    if (frames > 0) {
      this.chunks.push(view);
      this.queued += frames;
    }
    if (this.queued > this.highWater) this.child?.stdout.pause();
    this.wake?.();
  }

  /** Exactly `frames` interleaved stereo frames; past the end of the track, silence. */
  async read(frames: number): Promise<Float32Array> {
    const out = new Float32Array(frames * MIX_CHANNELS);
    await this.readInto(out, 0, frames);
    return out;
  }

  /** Like `read`, into `target` from its frame `at` on (a renderer's own buffer: no copy in between). */
  async readInto(target: Float32Array, at: number, frames: number): Promise<void> {
    let filled = 0;
    while (filled < frames) {
      if (this.failure) throw this.failure;
      const chunk = this.chunks[0];
      if (!chunk) {
        if (this.ended) break;
        this.child?.stdout.resume();
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const take = Math.min(frames - filled, chunk.length / MIX_CHANNELS);
      target.set(chunk.subarray(0, take * MIX_CHANNELS), (at + filled) * MIX_CHANNELS);
      filled += take;
      this.queued -= take;
      if (take * MIX_CHANNELS === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(take * MIX_CHANNELS);
      if (this.queued < this.highWater / 2) this.child?.stdout.resume();
    }
    target.fill(0, (at + filled) * MIX_CHANNELS, (at + frames) * MIX_CHANNELS);
  }

  close(): void {
    this.ended = true;
    this.child?.stdout.destroy();
    this.child?.kill('SIGKILL');
  }
}

/** `frames` of a deck read at once (buffered whole), the deck closed after: a span of a track as the decks play it. */
export async function readDeckFrames(opts: DeckOptions, frames: number): Promise<Float32Array> {
  const deck = new DeckReader({ ...opts, highWaterFrames: frames });
  try {
    return await deck.read(frames);
  } finally {
    deck.close();
  }
}
