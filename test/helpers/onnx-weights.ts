import { createRequire } from 'node:module';
import type * as OnnxProto from 'onnx-proto';
import type { Mlp } from '../../src/ai/mlp.ts';

const require = createRequire(import.meta.url);
const { onnx } = require('onnx-proto') as typeof OnnxProto;

/** Reads the dense layers back out of a scorer ONNX file, to run the same network in TypeScript. */
export function mlpFromOnnx(bytes: Uint8Array): Mlp {
  const model = onnx.ModelProto.decode(bytes);
  const tensors = new Map<string, { dims: number[]; values: Float32Array }>();
  for (const t of model.graph!.initializer!) {
    const raw = t.rawData!;
    const copy = new Uint8Array(raw.byteLength);
    copy.set(raw);
    tensors.set(t.name!, { dims: t.dims!.map(Number), values: new Float32Array(copy.buffer) });
  }
  const layers = [];
  for (let l = 0; tensors.has(`w${l}`); l++) {
    const w = tensors.get(`w${l}`)!;
    layers.push({
      outputs: w.dims[0]!,
      inputs: w.dims[1]!,
      weights: Float64Array.from(w.values),
      bias: Float64Array.from(tensors.get(`b${l}`)!.values),
    });
  }
  return { layers };
}
