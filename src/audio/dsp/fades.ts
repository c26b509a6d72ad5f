import { MIX_CHANNELS } from '../io/mix-format.ts';

/** A quarter-cosine fade-out, in place, over `frames` interleaved frames of `buf` from frame `from`. */
export function cosineFadeOut(buf: Float32Array, from: number, frames: number): void {
  for (let j = 0; j < frames; j++) {
    const g = Math.cos((Math.PI / 2) * (j / frames));
    for (let c = 0; c < MIX_CHANNELS; c++) buf[(from + j) * MIX_CHANNELS + c]! *= g;
  }
}

/** A linear fade-out, in place, over `frames` frames from frame `from`, gains taken mid-frame (the complement of a linear fade-in). */
export function linearFadeOut(buf: Float32Array, from: number, frames: number): void {
  for (let j = 0; j < frames; j++) {
    for (let c = 0; c < MIX_CHANNELS; c++) buf[(from + j) * MIX_CHANNELS + c]! *= 1 - (j + 0.5) / frames;
  }
}

/** A linear fade to silence over the last `frames` frames of `buf`: a cut's end without a click. */
export function linearFadeOutEnd(buf: Float32Array, frames: number): void {
  const total = buf.length / MIX_CHANNELS;
  for (let f = Math.max(0, total - frames); f < total; f++) {
    const g = (total - f - 1) / frames;
    for (let c = 0; c < MIX_CHANNELS; c++) buf[f * MIX_CHANNELS + c]! *= g;
  }
}

/**
 * A squared linear fade over the last `fadeFrames` of a stream `totalFrames` long, applied to `buf`, which holds the
 * stream's frames from `firstFrame` on.
 */
export function fadeOutStreamEnd(buf: Float32Array, firstFrame: number, totalFrames: number, fadeFrames: number): void {
  for (let f = 0; f < buf.length / MIX_CHANNELS; f++) {
    const left = totalFrames - (firstFrame + f);
    if (left >= fadeFrames) continue;
    const g = Math.max(0, left / fadeFrames);
    for (let c = 0; c < MIX_CHANNELS; c++) buf[f * MIX_CHANNELS + c]! *= g * g;
  }
}

/**
 * A quarter-sine fade-in `fadeFrames` long over `tail` (already fading out, added as it is), applied to `buf`, which
 * holds the fade's frames from `firstFrame` on; frames past the fade are left alone.
 */
export function sineFadeInOver(buf: Float32Array, firstFrame: number, fadeFrames: number, tail: Float32Array): void {
  const frames = buf.length / MIX_CHANNELS;
  for (let f = 0; f < Math.min(frames, fadeFrames - firstFrame); f++) {
    const g = Math.sin((Math.PI / 2) * ((firstFrame + f) / fadeFrames));
    for (let c = 0; c < MIX_CHANNELS; c++) {
      const k = f * MIX_CHANNELS + c;
      buf[k] = buf[k]! * g + (tail[(firstFrame + f) * MIX_CHANNELS + c] ?? 0);
    }
  }
}
