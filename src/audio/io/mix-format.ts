/** The one PCM format every deck, render and stream of a set carries: interleaved float32 stereo at 48 kHz. */
export const MIX_RATE = 48_000;
export const MIX_CHANNELS = 2;
