// Just enough of the ONNX protobuf format to patch a model in memory before
// handing it to onnxruntime (registry.ts readOnnxModel): flush weights too
// tiny to matter, and rewrite nodes ORT runs slowly into equivalent ones it
// runs fast. The files in node_modules are never touched.

/** One protobuf field: onnx.proto numbers its fields; wire types 0 (varint), 1, 2 (bytes), 5. */
export interface ProtoField {
  field: number;
  wireType: number;
  /** Varint value, or the byte length of a length-delimited field. */
  value: number;
  /** Payload byte range (for a varint, the varint's own bytes). */
  start: number;
  end: number;
  /** Where the field's key starts: bytes[keyStart, end) is the whole field, ready to copy. */
  keyStart: number;
}

/** The top-level fields of one protobuf message occupying bytes[start, end). */
export function protoFields(bytes: Uint8Array, start: number, end: number): ProtoField[] {
  const fields: ProtoField[] = [];
  let pos = start;
  const varint = (): number => {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      if (pos >= end) throw new Error('truncated protobuf varint in ONNX file');
      const byte = bytes[pos++]!;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  while (pos < end) {
    const keyStart = pos;
    const key = varint();
    const field = Math.floor(key / 8), wireType = key % 8;
    if (wireType === 0) {
      const valueStart = pos;
      const value = varint();
      fields.push({ field, wireType, value, start: valueStart, end: pos, keyStart });
    } else if (wireType === 1 || wireType === 5) {
      const size = wireType === 1 ? 8 : 4;
      fields.push({ field, wireType, value: size, start: pos, end: pos + size, keyStart });
      pos += size;
    } else if (wireType === 2) {
      const length = varint();
      fields.push({ field, wireType, value: length, start: pos, end: pos + length, keyStart });
      pos += length;
    } else {
      throw new Error(`unsupported protobuf wire type ${wireType} in ONNX file`);
    }
  }
  return fields;
}

/**
 * Weights below this magnitude (2^-40, about 9e-13) are pruned leftovers:
 * zeroing them changes no embedding bit on the fixtures, while multiplying by
 * them keeps producing denormal activations, which CPUs handle on a slow
 * microcode path (ORT's flush-to-zero does not reach the calling thread).
 */
export const TINY_WEIGHT_EXPONENT = 127 - 40;

/**
 * Zeroes denormal float32 values of every FLOAT initializer, in place (with
 * `minExponent` above 1, also normal values whose biased exponent is below
 * it). Returns how many.
 */
export function flushDenormalWeights(onnx: Uint8Array, minExponent = 1): number {
  // Protobuf field numbers from onnx.proto: ModelProto.graph = 7, GraphProto.initializer = 5,
  // TensorProto.data_type = 2 (FLOAT = 1), float_data = 4 (packed), raw_data = 9.
  const view = new DataView(onnx.buffer, onnx.byteOffset, onnx.byteLength);
  let flushed = 0;
  for (const graph of protoFields(onnx, 0, onnx.length).filter((f) => f.field === 7 && f.wireType === 2)) {
    for (const tensor of protoFields(onnx, graph.start, graph.end).filter((f) => f.field === 5 && f.wireType === 2)) {
      const fields = protoFields(onnx, tensor.start, tensor.end);
      if (fields.find((f) => f.field === 2)?.value !== 1) continue;
      for (const data of fields.filter((f) => (f.field === 9 || f.field === 4) && f.wireType === 2)) {
        for (let p = data.start; p + 4 <= data.end; p += 4) {
          const bits = view.getUint32(p, true);
          const exponent = (bits & 0x7f800000) >>> 23;
          if (exponent < minExponent && (bits & 0x7fffffff) !== 0) {
            view.setUint32(p, bits & 0x80000000, true); // keep the sign: -0 or +0
            flushed++;
          }
        }
      }
    }
  }
  return flushed;
}

// Field numbers from onnx.proto.
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11;
const VALUE_INFO_NAME = 1;
const NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4, NODE_ATTRIBUTE = 5;
const ATTRIBUTE_NAME = 1, ATTRIBUTE_INT = 3, ATTRIBUTE_INTS = 8, ATTRIBUTE_TYPE = 20;
const ATTRIBUTE_TYPE_INT = 2, ATTRIBUTE_TYPE_INTS = 7;
const TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_NAME = 8, TENSOR_RAW_DATA = 9, TENSOR_FLOAT_DATA = 4;
const TENSOR_FLOAT = 1;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

// Protobuf writing, also used by tfjs-to-onnx.ts to build a whole model.
export function varintBytes(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

export function bytesField(field: number, payload: Uint8Array): Uint8Array {
  return concat([Uint8Array.from([...varintBytes(field * 8 + 2), ...varintBytes(payload.length)]), payload]);
}

export function intField(field: number, value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`cannot encode ${value} as a protobuf varint here`);
  return Uint8Array.from([...varintBytes(field * 8), ...varintBytes(value)]);
}

export const stringField = (field: number, text: string): Uint8Array => bytesField(field, utf8.encode(text));

function intAttribute(name: string, value: number): Uint8Array {
  return bytesField(NODE_ATTRIBUTE, concat([stringField(ATTRIBUTE_NAME, name), intField(ATTRIBUTE_INT, value), intField(ATTRIBUTE_TYPE, ATTRIBUTE_TYPE_INT)]));
}

function intsAttribute(name: string, values: readonly number[]): Uint8Array {
  return bytesField(NODE_ATTRIBUTE, concat([stringField(ATTRIBUTE_NAME, name), ...values.map((v) => intField(ATTRIBUTE_INTS, v)), intField(ATTRIBUTE_TYPE, ATTRIBUTE_TYPE_INTS)]));
}

function nodeBytes(op: string, name: string, inputs: readonly string[], outputs: readonly string[], attributes: readonly Uint8Array[] = []): Uint8Array {
  return bytesField(GRAPH_NODE, concat([
    ...inputs.map((i) => stringField(NODE_INPUT, i)),
    ...outputs.map((o) => stringField(NODE_OUTPUT, o)),
    stringField(NODE_NAME, name),
    stringField(NODE_OP_TYPE, op),
    ...attributes,
  ]));
}

function floatInitializer(name: string, dims: readonly number[], values: Float32Array): Uint8Array {
  const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return bytesField(GRAPH_INITIALIZER, concat([
    ...dims.map((d) => intField(TENSOR_DIMS, d)),
    intField(TENSOR_DATA_TYPE, TENSOR_FLOAT),
    stringField(TENSOR_NAME, name),
    bytesField(TENSOR_RAW_DATA, new Uint8Array(raw)),
  ]));
}

interface FloatTensor {
  dims: number[];
  values: Float32Array;
}

/** A FLOAT initializer's shape and values (raw_data or float_data), or null for other types. */
function readFloatTensor(bytes: Uint8Array, tensor: ProtoField): FloatTensor | null {
  const fields = protoFields(bytes, tensor.start, tensor.end);
  if (fields.find((f) => f.field === TENSOR_DATA_TYPE)?.value !== TENSOR_FLOAT) return null;
  const dims: number[] = [];
  for (const f of fields.filter((f) => f.field === TENSOR_DIMS)) {
    if (f.wireType === 0) dims.push(f.value);
    else dims.push(...packedVarints(bytes, f.start, f.end));
  }
  const data = fields.find((f) => (f.field === TENSOR_RAW_DATA || f.field === TENSOR_FLOAT_DATA) && f.wireType === 2);
  if (!data) return null;
  const values = new Float32Array(data.value / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset + data.start, data.value);
  for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(4 * i, true);
  return { dims, values };
}

/** A packed repeated varint field's values. */
function packedVarints(bytes: Uint8Array, start: number, end: number): number[] {
  const values: number[] = [];
  let value = 0, shift = 0;
  for (let pos = start; pos < end; pos++) {
    value += (bytes[pos]! & 0x7f) * 2 ** shift;
    shift += 7;
    if ((bytes[pos]! & 0x80) === 0) {
      values.push(value);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

const stringOf = (bytes: Uint8Array, f: ProtoField): string => fromUtf8.decode(bytes.subarray(f.start, f.end));

/**
 * Rewrites every PRelu whose slope is a per-channel initializer [C,1,1] into
 *   out = y + (1 - slope) * Relu(-y)
 * built from two 1x1 depthwise Convs (weights -1, then 1 - slope), a Relu and
 * an Add. That is PRelu exactly (y >= 0: y; y < 0: slope * y), up to float
 * rounding. Why: onnxruntime's CPU PRelu kernel costs ~1.8 ns per element on
 * one thread, over half of the face embedder's time, while these Convs run in
 * its blocked (NCHWc) layout, where the Relu and the Add fuse into them.
 * Returns the new model bytes and how many PRelu nodes were rewritten.
 */
export function rewritePRelu(model: Uint8Array): { bytes: Uint8Array; rewritten: number } {
  const top = protoFields(model, 0, model.length);
  const graph = top.find((f) => f.field === MODEL_GRAPH && f.wireType === 2);
  if (!graph) throw new Error('ONNX model has no graph');
  const graphFields = protoFields(model, graph.start, graph.end);
  const slopes = new Map<string, FloatTensor>();
  for (const f of graphFields.filter((g) => g.field === GRAPH_INITIALIZER)) {
    const fields = protoFields(model, f.start, f.end);
    const nameField = fields.find((x) => x.field === TENSOR_NAME);
    if (!nameField) continue;
    const tensor = readFloatTensor(model, f);
    if (tensor && tensor.dims.length === 3 && tensor.dims[1] === 1 && tensor.dims[2] === 1) slopes.set(stringOf(model, nameField), tensor);
  }

  // Slopes read by anything but a PRelu stay; the others go (older models also list them as graph inputs).
  const nodeOf = (f: ProtoField) => {
    const nodeFields = protoFields(model, f.start, f.end);
    const op = nodeFields.find((x) => x.field === NODE_OP_TYPE);
    const inputs = nodeFields.filter((x) => x.field === NODE_INPUT).map((x) => stringOf(model, x));
    const outputs = nodeFields.filter((x) => x.field === NODE_OUTPUT).map((x) => stringOf(model, x));
    const slope = op && stringOf(model, op) === 'PRelu' && inputs.length === 2 && outputs.length === 1 ? slopes.get(inputs[1]!) : undefined;
    return { inputs, outputs, slope };
  };
  const otherUses = new Set<string>();
  for (const f of graphFields.filter((g) => g.field === GRAPH_NODE)) {
    const node = nodeOf(f);
    if (!node.slope) for (const input of node.inputs) otherUses.add(input);
  }
  const unusedSlope = (f: ProtoField, nameField: number): boolean => {
    const name = protoFields(model, f.start, f.end).find((x) => x.field === nameField);
    return name !== undefined && slopes.has(stringOf(model, name)) && !otherUses.has(stringOf(model, name));
  };

  const graphParts: Uint8Array[] = [];
  const newInitializers: Uint8Array[] = [];
  let rewritten = 0;
  for (const f of graphFields) {
    const whole = model.subarray(f.keyStart, f.end);
    if ((f.field === GRAPH_INITIALIZER && unusedSlope(f, TENSOR_NAME)) || (f.field === GRAPH_INPUT && unusedSlope(f, VALUE_INFO_NAME))) continue;
    if (f.field !== GRAPH_NODE) {
      graphParts.push(whole);
      continue;
    }
    const { inputs, outputs, slope } = nodeOf(f);
    if (!slope) {
      graphParts.push(whole);
      continue;
    }
    const [y] = inputs as [string, string];
    const [out] = outputs as [string];
    const channels = slope.dims[0]!;
    const tag = `mnemo_prelu${rewritten}`;
    const depthwise = [intAttribute('group', channels), intsAttribute('kernel_shape', [1, 1])];
    newInitializers.push(
      floatInitializer(`${tag}_negate`, [channels, 1, 1, 1], new Float32Array(channels).fill(-1)),
      floatInitializer(`${tag}_scale`, [channels, 1, 1, 1], slope.values.map((s) => 1 - s)),
    );
    graphParts.push(
      nodeBytes('Conv', `${tag}_negate`, [y, `${tag}_negate`], [`${tag}_minus_y`], depthwise),
      nodeBytes('Relu', `${tag}_relu`, [`${tag}_minus_y`], [`${tag}_negative_part`]),
      nodeBytes('Conv', `${tag}_scale`, [`${tag}_negative_part`, `${tag}_scale`], [`${tag}_scaled`], depthwise),
      nodeBytes('Add', `${tag}_add`, [`${tag}_scaled`, y], [out]),
    );
    rewritten++;
  }
  if (rewritten === 0) return { bytes: model, rewritten };
  const newGraph = bytesField(MODEL_GRAPH, concat([...graphParts, ...newInitializers]));
  const modelParts = top.map((f) => (f === graph ? newGraph : model.subarray(f.keyStart, f.end)));
  return { bytes: concat(modelParts), rewritten };
}
