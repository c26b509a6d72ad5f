import { MIX_CHANNELS, MIX_RATE } from '../io/mix-format.ts';
import { cosineFadeOut } from '../dsp/fades.ts';
import { ResilientDeck } from '../io/resilient-deck.ts';
import { HANDOFF_FADE_FRAMES, JUNCTION_FADE_SEC, renderTransition, stretchedDeck } from './render-job.ts';
import type { MeasuredRender, RenderedTransition, TransitionJob } from './render-job.ts';

const JUNCTION_FADE_FRAMES = Math.round(JUNCTION_FADE_SEC * MIX_RATE);

/**
 * B's ramp back to its own tempo, streamed after a rendered transition that hands over before the junction: B alone
 * through rubberband from the handoff, crossfaded with the render's fading tail, up to the junction; then the
 * junction's fading tail, over which B's body fades in. Opened when the transition starts to play, so it is
 * decoded by the time it is due.
 */
export class TransitionRamp {
  /** Frames from the handoff to the junction. */
  readonly frames: number;
  private readonly deck?: ResilientDeck;
  private readonly renderTail: Float32Array;
  private done = 0;

  /** `onReopen`: B's decoder died and was reopened where it stopped. `measured`: as the render was (A alone: no B). */
  constructor(
    job: TransitionJob,
    rendered: RenderedTransition,
    onReopen?: (error: Error) => void,
    measured: MeasuredRender = {},
  ) {
    this.frames = rendered.junctionFrame - rendered.handoffFrame;
    this.renderTail = rendered.pcm.slice(rendered.handoffFrame * MIX_CHANNELS);
    // Decoded as fast as rubberband goes, not just a few seconds ahead: the transition plays meanwhile (an offline
    // render would otherwise wait for the ramp after it; 5–12 MB for 8–16 bars).
    const to = rendered.junctionFrame + JUNCTION_FADE_FRAMES;
    if (measured.solo !== 'from')
      this.deck = new ResilientDeck(
        (f) => stretchedDeck(job, rendered.handoffFrame + f, to, to - rendered.handoffFrame - f),
        onReopen,
      );
  }

  /** The next `n` frames up to the junction (called in order). */
  async read(n: number): Promise<Float32Array> {
    const out = this.deck ? await this.deck.read(n) : new Float32Array(n * MIX_CHANNELS);
    for (let f = 0; f < n && this.done + f < HANDOFF_FADE_FRAMES; f++) {
      const j = this.done + f;
      const g = (j + 0.5) / HANDOFF_FADE_FRAMES;
      for (let c = 0; c < MIX_CHANNELS; c++)
        out[f * MIX_CHANNELS + c] = out[f * MIX_CHANNELS + c]! * g + this.renderTail[j * MIX_CHANNELS + c]!;
    }
    this.done += n;
    return out;
  }

  /** The frames after the junction, fading out (read once the ramp is). */
  async junctionTail(): Promise<Float32Array> {
    const out = await this.read(JUNCTION_FADE_FRAMES);
    cosineFadeOut(out, 0, JUNCTION_FADE_FRAMES);
    return out;
  }

  close(): void {
    this.deck?.close();
  }
}

/**
 * The whole transition as the set plays it, up to the junction and its fading tail: the render, then the streamed
 * ramp when there is one. For measuring a transition (each deck alone, the junction) where the set engine streams it.
 */
export async function renderThroughJunction(
  job: TransitionJob,
  measured: MeasuredRender = {},
): Promise<RenderedTransition & { renderedFrames: number }> {
  const rendered = await renderTransition(job, undefined, measured);
  if (rendered.handoffFrame === rendered.junctionFrame) return { ...rendered, renderedFrames: rendered.frames };
  const ramp = new TransitionRamp(job, rendered, undefined, measured);
  try {
    const frames = rendered.junctionFrame + JUNCTION_FADE_FRAMES;
    const pcm = new Float32Array(frames * MIX_CHANNELS);
    pcm.set(rendered.pcm.subarray(0, rendered.handoffFrame * MIX_CHANNELS));
    pcm.set(await ramp.read(ramp.frames), rendered.handoffFrame * MIX_CHANNELS);
    pcm.set(await ramp.junctionTail(), rendered.junctionFrame * MIX_CHANNELS);
    return {
      pcm,
      frames,
      handoffFrame: rendered.handoffFrame,
      junctionFrame: rendered.junctionFrame,
      bodyFromSec: rendered.bodyFromSec,
      renderedFrames: rendered.frames,
    };
  } finally {
    ramp.close();
  }
}
