// The tfjs-to-ONNX converter: a small synthetic graph gives the numbers a plain
// JS computation gives, kept channels are the same numbers as the full output's,
// the shipped centernet converts to the same bytes twice, and an op it does not
// know fails with an error naming the op.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { protoFields } from '../models/onnx-graph.ts';
import { createSingleThreadSession } from '../models/onnx-session.ts';
import { getModel, modelVersionId, readOnnxModel } from '../models/registry.ts';
import type { TfjsGraphModel, TfjsNode } from '../models/tfjs-graph-model.ts';
import { TFJS_TO_ONNX_VERSION, UnsupportedTfjsOpError, convertTfjsToOnnx } from '../models/tfjs-to-onnx.ts';
import { tempDir } from './helpers.ts';

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

test('keepChannels writes an output\'s convolution with only the kept filters, in the order given', async () => {
  const graph = tinyGraph([{ name: 'sigmoid', op: 'Sigmoid', input: ['conv'] }, { name: 'scores', op: 'Identity', input: ['sigmoid'] }]);
  const x = Float32Array.from([1, 2, 3, -4, 0, 1, 2, 2]);
  const run = async (onnx: Uint8Array) => {
    const session = await createSingleThreadSession(onnx);
    const out = await session.run({ x: new ort.Tensor('float32', x, [1, 2, 2, 2]) });
    await session.release();
    return out.scores!;
  };
  const all = await run(convertTfjsToOnnx(graph, { outputs: ['scores'], referenceInputSize: 2 }));
  const kept = await run(convertTfjsToOnnx(graph, { outputs: ['scores'], referenceInputSize: 2, keepChannels: { scores: [2, 0] } }));
  assert.deepEqual(kept.dims, [1, 2, 2, 2]);
  const plane = (t: ort.Tensor, c: number) => Array.from((t.data as Float32Array).subarray(4 * c, 4 * c + 4));
  assert.deepEqual([plane(kept, 0), plane(kept, 1)], [plane(all, 2), plane(all, 0)]);

  // Refused where dropping filters would change something else, or is not a convolution's channels.
  assert.throws(() => convertTfjsToOnnx(graph, { outputs: ['scores', 'mean'], referenceInputSize: 2, keepChannels: { scores: [0] } }), /meets Sigmoid \(node sigmoid\)/, 'conv is also read by the mean');
  assert.throws(() => convertTfjsToOnnx(graph, { outputs: ['mean'], referenceInputSize: 2, keepChannels: { mean: [0] } }), /meets Mean/);
  assert.throws(() => convertTfjsToOnnx(graph, { outputs: ['scores'], referenceInputSize: 2, keepChannels: { scores: [3] } }), /must be channels of its convolution conv \(0 to 2\)/);
  assert.throws(() => convertTfjsToOnnx(graph, { outputs: ['scores'], referenceInputSize: 2, keepChannels: { conv: [0] } }), /not an output/);
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

/**
 * input [1,H,W,8] -> 1x1 conv to 6 channels + Relu -> 3x3 depthwise -> 1x1 conv to 8 -> hard swish
 * -> squeeze-excite (mean, 1x1 conv, hard sigmoid, times the input): MobileNetV3's shapes, small.
 */
function mobileNetV3Graph(): TfjsGraphModel {
  const conv = (name: string, input: string, op = '_FusedConv2D', fused = ['BiasAdd']): TfjsNode[] => [
    { name: `${name}/w`, op: 'Const' },
    { name: `${name}/b`, op: 'Const' },
    { name, op, input: [input, `${name}/w`, `${name}/b`], attr: { ...nhwcConv, fused_ops: { list: { s: fused.map(b64) } } } },
  ];
  const hardSigmoid = (name: string, input: string): TfjsNode[] => [
    { name: `${name}/add`, op: 'AddV2', input: [input, 'three'] },
    { name: `${name}/relu6`, op: 'Relu6', input: [`${name}/add`] },
  ];
  const nodes: TfjsNode[] = [
    { name: 'x', op: 'Placeholder', attr: { shape: { shape: { dim: [{ size: '1' }, { size: '-1' }, { size: '-1' }, { size: '8' }] } } } },
    { name: 'three', op: 'Const' },
    { name: 'sixth', op: 'Const' },
    { name: 'axes', op: 'Const' },
    ...conv('reduce', 'x', '_FusedConv2D', ['BiasAdd', 'Relu']),
    ...conv('depthwise', 'reduce', 'FusedDepthwiseConv2dNative'),
    ...conv('expand', 'depthwise'),
    // hard swish as tfjs spells it: (expand * a) * relu6(expand + 3)
    { name: 'swish/scaled', op: 'Mul', input: ['sixth', 'expand'] },
    ...hardSigmoid('swish', 'expand'),
    { name: 'swish', op: 'Mul', input: ['swish/scaled', 'swish/relu6'] },
    { name: 'se/mean', op: 'Mean', input: ['swish', 'axes'], attr: { keep_dims: { b: true } } },
    ...conv('se/conv', 'se/mean'),
    ...hardSigmoid('se/gate', 'se/conv'),
    { name: 'se/gate', op: 'Mul', input: ['sixth', 'se/gate/relu6'] },
    { name: 'se', op: 'Mul', input: ['se/gate', 'swish'] },
  ];
  let seed = 1;
  const random = (n: number) => Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1);
  const constants = new Map<string, { dtype: 'float32' | 'int32'; shape: number[]; values: Float32Array | Int32Array }>([
    ['three', { dtype: 'float32', shape: [], values: Float32Array.of(3) }],
    ['sixth', { dtype: 'float32', shape: [], values: Float32Array.of(0.1666259765625) }], // 1/6 in fp16, as centernet has it
    ['axes', { dtype: 'int32', shape: [2], values: Int32Array.from([1, 2]) }],
    ['reduce/w', { dtype: 'float32', shape: [1, 1, 8, 6], values: random(48) }],
    ['reduce/b', { dtype: 'float32', shape: [6], values: random(6) }],
    ['depthwise/w', { dtype: 'float32', shape: [3, 3, 6, 1], values: random(54) }],
    ['depthwise/b', { dtype: 'float32', shape: [6], values: random(6) }],
    ['expand/w', { dtype: 'float32', shape: [1, 1, 6, 8], values: random(48).map((v) => 4 * v) }], // wide enough to reach both ends of relu6
    ['expand/b', { dtype: 'float32', shape: [8], values: random(8) }],
    ['se/conv/w', { dtype: 'float32', shape: [1, 1, 8, 8], values: random(64) }],
    ['se/conv/b', { dtype: 'float32', shape: [8], values: random(8) }],
  ]);
  return { nodes, constants };
}

/** The op types of an ONNX model's graph, in order. */
function opTypes(onnx: Uint8Array): string[] {
  const graph = protoFields(onnx, 0, onnx.length).find((f) => f.field === 7)!;
  return protoFields(onnx, graph.start, graph.end).filter((f) => f.field === 1).map((node) => {
    const opType = protoFields(onnx, node.start, node.end).find((f) => f.field === 4)!;
    return Buffer.from(onnx.subarray(opType.start, opType.end)).toString('utf8');
  });
}

test('hard swish, hard sigmoid and odd channel counts are rewritten for ORT with the same results', async () => {
  const graph = mobileNetV3Graph();
  const options = { outputs: ['se'], referenceInputSize: 8 };
  const plain = convertTfjsToOnnx(graph, { ...options, rewriteForOrt: false });
  const rewritten = convertTfjsToOnnx(graph, options);
  // Each hard activation: a 1x1 depthwise Conv + Clip (ORT fuses them) instead of Add, Relu6 (Clip), Mul.
  assert.deepEqual(opTypes(plain), ['Transpose', 'Conv', 'Relu', 'Conv', 'Conv', 'Mul', 'Add', 'Clip', 'Mul', 'GlobalAveragePool', 'Conv', 'Add', 'Clip', 'Mul', 'Mul']);
  assert.deepEqual(opTypes(rewritten), ['Transpose', 'Conv', 'Relu', 'Conv', 'Conv', 'Conv', 'Clip', 'Mul', 'GlobalAveragePool', 'Conv', 'Conv', 'Clip', 'Mul']);

  const x = Float32Array.from({ length: 8 * 8 * 8 }, (_, i) => ((i * 37) % 101) / 25 - 2);
  const run = async (onnx: Uint8Array) => {
    const session = await createSingleThreadSession(onnx);
    const out = await session.run({ x: new ort.Tensor('float32', x, [1, 8, 8, 8]) });
    await session.release();
    return out.se!;
  };
  const [expected, got] = [await run(plain), await run(rewritten)];
  assert.deepEqual(got.dims, [1, 8, 8, 8]);
  const a = expected.data as Float32Array, b = got.data as Float32Array;
  assert.ok(a.some((v) => v !== 0), 'a graph that computes something');
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= 1e-5 * Math.max(1, Math.abs(v)), `element ${i}: ${v} vs ${b[i]}`));
});

test('channels are padded to a multiple of 8 only where convolutions alone read them', () => {
  const dims = (onnx: Uint8Array, name: string) => {
    const graph = protoFields(onnx, 0, onnx.length).find((f) => f.field === 7)!;
    for (const init of protoFields(onnx, graph.start, graph.end).filter((f) => f.field === 5)) {
      const fields = protoFields(onnx, init.start, init.end);
      const nameField = fields.find((f) => f.field === 8)!;
      if (Buffer.from(onnx.subarray(nameField.start, nameField.end)).toString('utf8').startsWith(name)) return fields.filter((f) => f.field === 1).map((f) => f.value);
    }
    return undefined;
  };
  const rewritten = convertTfjsToOnnx(mobileNetV3Graph(), { outputs: ['se'], referenceInputSize: 8 });
  assert.deepEqual(dims(rewritten, 'reduce/w'), [8, 8, 1, 1], '6 output channels, read only by the depthwise conv: padded');
  assert.deepEqual(dims(rewritten, 'depthwise/w'), [8, 1, 3, 3], 'carries the padding');
  assert.deepEqual(dims(rewritten, 'expand/w'), [8, 8, 1, 1], 'ignores the padded input channels');
  // The same 6 channels as an output are not padded.
  const asOutput = convertTfjsToOnnx(mobileNetV3Graph(), { outputs: ['reduce'], referenceInputSize: 8 });
  assert.deepEqual(dims(asOutput, 'reduce/w'), [6, 8, 1, 1]);
});

test('centernet converts to the same bytes every time, and the converter version is in its model version', () => {
  const digest = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
  const converted = (allOutputChannels: boolean) => digest(readOnnxModel('pet-centernet', { allOutputChannels, convertedDir: null }));
  assert.equal(converted(false), converted(false));
  assert.equal(converted(true), converted(true));
  assert.deepEqual(getModel('pet-centernet').onnxOutputChannels, { 'tower_0/keypoints': [0, 15, 16] }, 'COCO person, cat, dog');
  assert.ok(getModel('pet-centernet').onnxOutputs);
  assert.ok(modelVersionId('pet-centernet').endsWith(`+${TFJS_TO_ONNX_VERSION}`), modelVersionId('pet-centernet'));
});

test('a conversion is kept and read back only while its content matches the hash in its name', () => {
  const dir = tempDir();
  const direct = readOnnxModel('pet-centernet', { convertedDir: null });
  assert.deepEqual(readOnnxModel('pet-centernet', { convertedDir: dir }), direct, 'first load converts');
  const [kept, ...more] = readdirSync(dir);
  assert.equal(more.length, 0, 'one file, no temporary left');
  const key = kept!.slice(0, kept!.lastIndexOf('-'));
  assert.equal(kept, `${key}-${createHash('sha256').update(direct).digest('hex').slice(0, 16)}.onnx`);
  // Proof that a load reads the kept file: one with valid bytes of its own is returned as it is.
  rmSync(join(dir, kept!));
  const stand = new TextEncoder().encode('kept bytes');
  const standName = `${key}-${createHash('sha256').update(stand).digest('hex').slice(0, 16)}.onnx`;
  writeFileSync(join(dir, standName), stand);
  assert.deepEqual(readOnnxModel('pet-centernet', { convertedDir: dir }), stand);
  // Damaged (its content no longer matches its name): removed, converted again, kept again.
  writeFileSync(join(dir, standName), 'damaged');
  assert.deepEqual(readOnnxModel('pet-centernet', { convertedDir: dir }), direct);
  assert.deepEqual(readdirSync(dir), [kept]);
  // The other channel set has its own key.
  assert.deepEqual(readOnnxModel('pet-centernet', { convertedDir: dir, allOutputChannels: true }), readOnnxModel('pet-centernet', { convertedDir: null, allOutputChannels: true }));
  assert.equal(readdirSync(dir).length, 2);
  // A folder that cannot be made (its parent is a file): converted at each load, no error.
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  assert.deepEqual(readOnnxModel('pet-centernet', { convertedDir: join(file, 'kept') }), direct);
});
