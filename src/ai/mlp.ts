import { gaussian } from '../util/prng.ts';
import type { Rng } from '../util/prng.ts';

/** Dense layer, weights row-major [out][in]. */
export interface DenseLayer {
  inputs: number;
  outputs: number;
  weights: Float64Array;
  bias: Float64Array;
}

/** A small MLP: ReLU hidden layers, one sigmoid output. */
export interface Mlp {
  layers: DenseLayer[];
}

/** He-initialised network of the given layer sizes, e.g. [22, 64, 32, 1]. */
export function createMlp(sizes: number[], rng: Rng): Mlp {
  const layers: DenseLayer[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inputs = sizes[l]!;
    const outputs = sizes[l + 1]!;
    const scale = Math.sqrt(2 / inputs);
    const weights = new Float64Array(inputs * outputs);
    for (let i = 0; i < weights.length; i++) weights[i] = gaussian(rng) * scale;
    layers.push({ inputs, outputs, weights, bias: new Float64Array(outputs) });
  }
  return { layers };
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * Forward pass over `n` rows of already-normalized inputs. Returns every layer's activations (the last is the
 * sigmoid output), which training needs for backpropagation.
 */
export function forwardAll(mlp: Mlp, input: Float64Array | Float32Array, n: number): Float64Array[] {
  const acts: Float64Array[] = [Float64Array.from(input.subarray(0, n * mlp.layers[0]!.inputs))];
  mlp.layers.forEach((layer, l) => {
    const x = acts[l]!;
    const y = new Float64Array(n * layer.outputs);
    const last = l === mlp.layers.length - 1;
    for (let r = 0; r < n; r++) {
      const xo = r * layer.inputs;
      for (let o = 0; o < layer.outputs; o++) {
        let s = layer.bias[o]!;
        const wo = o * layer.inputs;
        for (let i = 0; i < layer.inputs; i++) s += layer.weights[wo + i]! * x[xo + i]!;
        y[r * layer.outputs + o] = last ? sigmoid(s) : s > 0 ? s : 0;
      }
    }
    acts.push(y);
  });
  return acts;
}

export function predict(mlp: Mlp, input: Float64Array | Float32Array, n: number): Float64Array {
  return forwardAll(mlp, input, n).at(-1)!;
}
