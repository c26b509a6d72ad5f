import { createRng } from '../util/prng.ts';
import { createMlp, forwardAll } from './mlp.ts';
import type { Mlp } from './mlp.ts';

export interface TrainingSet {
  /** n × features, normalized. */
  x: Float64Array;
  /** Targets in 0..1 (soft labels). */
  y: Float64Array;
  /** Per-example weight: listener feedback counts more than the teacher. */
  w: Float64Array;
  n: number;
  features: number;
}

export interface TrainOptions {
  hidden: number[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  l2?: number;
}

/** Adds each layer's gradient for a batch of `n` rows to `grads` (weights, bias per layer), from the output's `delta`. */
function backpropagate(
  mlp: Mlp,
  acts: Float64Array[],
  outputDelta: Float64Array,
  grads: Float64Array[],
  n: number,
): void {
  let delta = outputDelta;
  for (let l = mlp.layers.length - 1; l >= 0; l--) {
    const layer = mlp.layers[l]!;
    const x = acts[l]!;
    const gw = grads[2 * l]!;
    const gb = grads[2 * l + 1]!;
    const prevDelta = new Float64Array(n * layer.inputs);
    for (let k = 0; k < n; k++) {
      for (let o = 0; o < layer.outputs; o++) {
        const d = delta[k * layer.outputs + o]!;
        if (d === 0) continue;
        gb[o]! += d;
        const wo = o * layer.inputs;
        const xo = k * layer.inputs;
        for (let i = 0; i < layer.inputs; i++) {
          gw[wo + i]! += d * x[xo + i]!;
          prevDelta[xo + i]! += d * layer.weights[wo + i]!;
        }
      }
    }
    if (l > 0) {
      // Through the ReLU of the layer below.
      for (let i = 0; i < prevDelta.length; i++) if (x[i]! <= 0) prevDelta[i] = 0;
    }
    delta = prevDelta;
  }
}

/** Deterministic Adam training with weighted binary cross-entropy on soft targets. */
export function trainMlp(data: TrainingSet, opts: TrainOptions, onEpoch?: (epoch: number, loss: number) => void): Mlp {
  const rng = createRng(opts.seed, 'mlp');
  const mlp = createMlp([data.features, ...opts.hidden, 1], rng);
  const params = mlp.layers.flatMap((l) => [l.weights, l.bias]);
  const m = params.map((p) => new Float64Array(p.length));
  const v = params.map((p) => new Float64Array(p.length));
  const grads = params.map((p) => new Float64Array(p.length));
  const beta1 = 0.9;
  const beta2 = 0.999;
  const l2 = opts.l2 ?? 1e-5;
  let step = 0;
  const order = Array.from({ length: data.n }, (_, i) => i);
  const bx = new Float64Array(opts.batchSize * data.features);
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(0, i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let epochLoss = 0;
    let epochWeight = 0;
    for (let start = 0; start < data.n; start += opts.batchSize) {
      const rows = order.slice(start, start + opts.batchSize);
      const n = rows.length;
      rows.forEach((r, k) => bx.set(data.x.subarray(r * data.features, (r + 1) * data.features), k * data.features));
      const acts = forwardAll(mlp, bx, n);
      for (const g of grads) g.fill(0);
      // dLoss/dz at the sigmoid output for BCE is (p - y), weighted.
      const delta = new Float64Array(n);
      let batchWeight = 0;
      rows.forEach((r, k) => {
        const p = acts.at(-1)![k]!;
        const y = data.y[r]!;
        const w = data.w[r]!;
        epochLoss -= w * (y * Math.log(Math.max(p, 1e-12)) + (1 - y) * Math.log(Math.max(1 - p, 1e-12)));
        batchWeight += w;
        delta[k] = w * (p - y);
      });
      epochWeight += batchWeight;
      backpropagate(mlp, acts, delta, grads, n);
      step++;
      const lrT = (opts.learningRate * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
      params.forEach((p, pi) => {
        const g = grads[pi]!;
        const mp = m[pi]!;
        const vp = v[pi]!;
        for (let i = 0; i < p.length; i++) {
          const gi = g[i]! / Math.max(1e-9, batchWeight) + l2 * p[i]!;
          mp[i] = beta1 * mp[i]! + (1 - beta1) * gi;
          vp[i] = beta2 * vp[i]! + (1 - beta2) * gi * gi;
          p[i]! -= (lrT * mp[i]!) / (Math.sqrt(vp[i]!) + 1e-8);
        }
      });
    }
    onEpoch?.(epoch, epochLoss / Math.max(1e-9, epochWeight));
  }
  return mlp;
}
