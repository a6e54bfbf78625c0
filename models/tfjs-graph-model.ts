// Reads a TensorFlow.js graph model (model JSON + weight shards) from disk into
// plain nodes and float32/int32 constants, without TensorFlow.js: the weights are
// dequantised here exactly as tfjs does at load (fp16 is exact; uint8/uint16 are
// affine, q * scale + min). Used by tfjs-to-onnx.ts.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** One attribute value as the tfjs JSON writes it (a protobuf AttrValue). */
export interface TfjsAttr {
  s?: string; // base64
  i?: string;
  f?: number;
  b?: boolean;
  type?: string;
  list?: { i?: string[]; s?: string[]; f?: number[] };
  shape?: { dim?: { size: string }[] };
  tensor?: unknown;
}

export interface TfjsNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfjsAttr>;
}

export interface TfjsConstant {
  dtype: 'float32' | 'int32';
  shape: number[];
  values: Float32Array | Int32Array;
}

export interface TfjsGraphModel {
  nodes: TfjsNode[];
  constants: Map<string, TfjsConstant>;
}

interface WeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number; original_dtype?: string };
}

interface ModelJson {
  modelTopology: { node: TfjsNode[] };
  weightsManifest: { paths: string[]; weights: WeightEntry[] }[];
}

/** Reads jsonPath and the weight shards its manifest names (beside it). */
export function readTfjsGraphModel(jsonPath: string): TfjsGraphModel {
  const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as ModelJson;
  const constants = new Map<string, TfjsConstant>();
  for (const group of json.weightsManifest) {
    const shards = group.paths.map((p) => readFileSync(join(dirname(jsonPath), p)));
    const data = Buffer.concat(shards);
    let offset = 0;
    for (const weight of group.weights) {
      const count = weight.shape.reduce((a, b) => a * b, 1);
      const { values, bytes } = decodeWeight(weight, data, offset, count);
      constants.set(weight.name, { dtype: weight.dtype === 'int32' ? 'int32' : 'float32', shape: weight.shape, values });
      offset += bytes;
    }
  }
  return { nodes: json.modelTopology.node, constants };
}

function decodeWeight(weight: WeightEntry, data: Buffer, offset: number, count: number): { values: Float32Array | Int32Array; bytes: number } {
  const view = new DataView(data.buffer, data.byteOffset + offset);
  const q = weight.quantization;
  if (!q) {
    if (weight.dtype === 'float32') return { values: Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true)), bytes: 4 * count };
    if (weight.dtype === 'int32') return { values: Int32Array.from({ length: count }, (_, i) => view.getInt32(4 * i, true)), bytes: 4 * count };
    throw new Error(`tfjs weight ${weight.name}: dtype ${weight.dtype} is not supported`);
  }
  if (q.dtype === 'float16') {
    const values = new Float32Array(count);
    const table = halfTable();
    for (let i = 0; i < count; i++) values[i] = table[view.getUint16(2 * i, true)]!;
    return { values, bytes: 2 * count };
  }
  if ((q.dtype === 'uint8' || q.dtype === 'uint16') && q.scale !== undefined && q.min !== undefined) {
    const size = q.dtype === 'uint8' ? 1 : 2;
    const read = (i: number) => (size === 1 ? view.getUint8(i) : view.getUint16(2 * i, true));
    const values = Float32Array.from({ length: count }, (_, i) => read(i) * q.scale! + q.min!);
    return { values: weight.dtype === 'int32' ? Int32Array.from(values, Math.round) : values, bytes: size * count };
  }
  throw new Error(`tfjs weight ${weight.name}: quantization ${JSON.stringify(q)} is not supported`);
}

let halves: Float32Array | undefined;
/** Every half-precision value as float32, by its 16 bits: a lookup is faster than decoding millions of weights. */
function halfTable(): Float32Array {
  halves ??= Float32Array.from({ length: 65536 }, (_, bits) => halfToFloat(bits));
  return halves;
}

/** IEEE 754 half precision to a JS number (exact). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
