import { createRequire } from 'node:module';
import type * as OnnxProto from 'onnx-proto';
import type { Mlp } from './mlp.ts';

const require = createRequire(import.meta.url);
// onnx-proto is the ONNX schema compiled for protobufjs (CommonJS).
const { onnx } = require('onnx-proto') as typeof OnnxProto;

export const ONNX_INPUT = 'features';
export const ONNX_OUTPUT = 'score';
const OPSET = 13;
const IR_VERSION = 8;

function tensor(name: string, dims: number[], values: ArrayLike<number>): OnnxProto.onnx.TensorProto {
  const data = Float32Array.from(values);
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  });
}

function floatInput(name: string, width: number): OnnxProto.onnx.ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: 'batch' }, { dimValue: width }] },
      },
    },
  });
}

/**
 * The scorer as an ONNX graph: (features − mean) × 1/std → [Gemm → Relu]* → Gemm → Sigmoid.
 * Normalization lives in the graph so the model takes raw feature vectors; the same constants are in scorer.json.
 */
export function mlpToOnnx(mlp: Mlp, mean: Float64Array, std: Float64Array, docString: string): Uint8Array {
  const features = mlp.layers[0]!.inputs;
  const nodes: OnnxProto.onnx.NodeProto[] = [];
  const initializers = [
    tensor('norm_mean', [features], mean),
    tensor(
      'norm_inv_std',
      [features],
      Array.from(std, (s) => 1 / s),
    ),
  ];
  nodes.push(
    onnx.NodeProto.create({
      opType: 'Sub',
      input: [ONNX_INPUT, 'norm_mean'],
      output: ['centred'],
      name: 'normalize_sub',
    }),
  );
  nodes.push(
    onnx.NodeProto.create({
      opType: 'Mul',
      input: ['centred', 'norm_inv_std'],
      output: ['h0'],
      name: 'normalize_scale',
    }),
  );
  mlp.layers.forEach((layer, l) => {
    initializers.push(
      tensor(`w${l}`, [layer.outputs, layer.inputs], layer.weights),
      tensor(`b${l}`, [layer.outputs], layer.bias),
    );
    const last = l === mlp.layers.length - 1;
    nodes.push(
      onnx.NodeProto.create({
        opType: 'Gemm',
        name: `dense${l}`,
        input: [`h${l}`, `w${l}`, `b${l}`],
        output: [last ? 'logit' : `z${l}`],
        attribute: [onnx.AttributeProto.create({ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 })],
      }),
    );
    if (!last)
      nodes.push(onnx.NodeProto.create({ opType: 'Relu', name: `relu${l}`, input: [`z${l}`], output: [`h${l + 1}`] }));
  });
  nodes.push(onnx.NodeProto.create({ opType: 'Sigmoid', name: 'sigmoid', input: ['logit'], output: [ONNX_OUTPUT] }));
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'mini-dj',
    producerVersion: '1',
    docString,
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: 'mixability',
      node: nodes,
      initializer: initializers,
      input: [floatInput(ONNX_INPUT, features)],
      output: [floatInput(ONNX_OUTPUT, 1)],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
