/** Interleaved multichannel samples averaged to one channel. */
export function toMono(interleaved: Float32Array, channels: number): Float32Array {
  const mono = new Float32Array(interleaved.length / channels);
  for (let i = 0; i < mono.length; i++) {
    let s = 0;
    for (let c = 0; c < channels; c++) s += interleaved[i * channels + c]!;
    mono[i] = s / channels;
  }
  return mono;
}

/** Chunks joined into one array (the total length is taken from the chunks when not given). */
export function concatSamples(
  chunks: readonly Float32Array[],
  total = chunks.reduce((n, c) => n + c.length, 0),
): Float32Array {
  const out = new Float32Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
