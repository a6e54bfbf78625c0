// The tfjs-to-ONNX converter: a small synthetic graph gives the numbers a plain
// JS computation gives, the shipped centernet converts to the same bytes twice,
// and an op it does not know fails with an error naming the op.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import { createSingleThreadSession } from '../models/onnx-session.ts';
import { getModel, modelVersionId, readOnnxModel } from '../models/registry.ts';
import type { TfjsGraphModel, TfjsNode } from '../models/tfjs-graph-model.ts';
import { TFJS_TO_ONNX_VERSION, UnsupportedTfjsOpError, convertTfjsToOnnx } from '../models/tfjs-to-onnx.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const nhwcConv = { data_format: { s: b64('NHWC') }, padding: { s: b64('SAME') }, strides: { list: { i: ['1', '1', '1', '1'] } }, dilations: { list: { i: ['1', '1', '1', '1'] } } };

/** input [1,H,W,2] -> 1x1 conv to 3 channels + bias, Relu6 -> * 0.5 -> spatial mean (keep dims). */
function tinyGraph(extra: TfjsNode[] = []): TfjsGraphModel {
  const nodes: TfjsNode[] = [
    { name: 'x', op: 'Placeholder', attr: { shape: { shape: { dim: [{ size: '1' }, { size: '-1' }, { size: '-1' }, { size: '2' }] } } } },
    { name: 'w', op: 'Const' },
    { name: 'b', op: 'Const' },
    { name: 'half', op: 'Const' },
    { name: 'axes', op: 'Const' },
    { name: 'conv', op: '_FusedConv2D', input: ['x', 'w', 'b'], attr: { ...nhwcConv, fused_ops: { list: { s: [b64('BiasAdd'), b64('Relu6')] } } } },
    { name: 'scaled', op: 'Mul', input: ['conv', 'half'] },
    { name: 'mean', op: 'Mean', input: ['scaled', 'axes'], attr: { keep_dims: { b: true } } },
    ...extra,
  ];
  const constants = new Map([
    ['w', { dtype: 'float32' as const, shape: [1, 1, 2, 3], values: Float32Array.from([1, 2, 3, -1, 0.5, 4]) }], // [in][out]
    ['b', { dtype: 'float32' as const, shape: [3], values: Float32Array.from([0.5, -1, 0]) }],
    ['half', { dtype: 'float32' as const, shape: [], values: Float32Array.of(0.5) }],
    ['axes', { dtype: 'int32' as const, shape: [2], values: Int32Array.from([1, 2]) }],
  ]);
  return { nodes, constants };
}

test('a small converted graph computes what the tfjs ops mean (NHWC in, NCHW out)', async () => {
  const onnx = convertTfjsToOnnx(tinyGraph(), { outputs: ['conv', 'mean'], referenceInputSize: 2 });
  const session = await createSingleThreadSession(onnx);
  const x = Float32Array.from([1, 2, 3, -4, 0, 1, 2, 2]); // 2x2 pixels, 2 channels each
  const out = await session.run({ x: new ort.Tensor('float32', x, [1, 2, 2, 2]) });
  const w = [[1, 2, 3], [-1, 0.5, 4]];
  const bias = [0.5, -1, 0];
  const expectedConv: number[] = [];
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < 4; p++) expectedConv.push(Math.min(6, Math.max(0, x[2 * p]! * w[0]![c]! + x[2 * p + 1]! * w[1]![c]! + bias[c]!)));
  }
  assert.deepEqual(out.conv!.dims, [1, 3, 2, 2]);
  assert.deepEqual(Array.from(out.conv!.data as Float32Array), expectedConv);
  const expectedMean = [0, 1, 2].map((c) => (expectedConv.slice(4 * c, 4 * c + 4).reduce((a, b) => a + b, 0) / 4) * 0.5);
  assert.deepEqual(out.mean!.dims, [1, 3, 1, 1]);
  (out.mean!.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - expectedMean[i]!) < 1e-6));
  await session.release();
});

test('an op the converter does not know fails with an error naming it', () => {
  const graph = tinyGraph([{ name: 'odd', op: 'Erf', input: ['mean'] }]);
  assert.throws(() => convertTfjsToOnnx(graph, { outputs: ['odd'], referenceInputSize: 2 }), (error: unknown) => {
    assert.ok(error instanceof UnsupportedTfjsOpError);
    assert.equal(error.op, 'Erf');
    assert.match(error.message, /cannot convert tfjs op Erf \(node odd\)/);
    return true;
  });
  // A known op used in a way the converter does not handle is named too.
  const onBatch = tinyGraph([{ name: 'axis0', op: 'Const' }, { name: 'joined', op: 'ConcatV2', input: ['mean', 'mean', 'axis0'] }]);
  onBatch.constants.set('axis0', { dtype: 'int32', shape: [], values: Int32Array.of(0) });
  assert.throws(() => convertTfjsToOnnx(onBatch, { outputs: ['joined'], referenceInputSize: 2 }), /cannot convert tfjs op ConcatV2 \(node joined\) to ONNX: concatenation on axis 0/);
});

test('centernet converts to the same bytes every time, and the converter version is in its model version', () => {
  const digest = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
  assert.equal(digest(readOnnxModel('pet-centernet')), digest(readOnnxModel('pet-centernet')));
  assert.ok(getModel('pet-centernet').onnxOutputs);
  assert.ok(modelVersionId('pet-centernet').endsWith(`+${TFJS_TO_ONNX_VERSION}`), modelVersionId('pet-centernet'));
});
