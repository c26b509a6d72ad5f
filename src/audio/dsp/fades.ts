import { MIX_CHANNELS } from '../io/deck-reader.ts';

/** A quarter-cosine fade-out, in place, over `frames` interleaved frames of `buf` from frame `from`. */
export function cosineFadeOut(buf: Float32Array, from: number, frames: number): void {
  for (let j = 0; j < frames; j++) {
    const g = Math.cos((Math.PI / 2) * (j / frames));
    for (let c = 0; c < MIX_CHANNELS; c++) buf[(from + j) * MIX_CHANNELS + c]! *= g;
  }
}
