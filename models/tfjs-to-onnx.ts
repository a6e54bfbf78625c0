// Converts the part of a TensorFlow.js graph model that computes the named
// outputs into an ONNX model (opset 13), in memory, with no dependency: the
// protobuf is written by hand (onnx-graph.ts's helpers). It knows the ops the
// centernet pet detector's convolutional heads use and throws
// UnsupportedTfjsOpError naming any other.
//
// Layout: tfjs graphs are NHWC, ONNX convolutions NCHW. The converted graph
// keeps the NHWC input (one Transpose after it) and runs NCHW throughout, so the
// outputs come out NCHW ([1, C, H, W]). The output is deterministic: the same
// model gives the same bytes (nodes in the graph's dependency order, weights as
// read). Resizes become scale factors, so one converted model serves any input
// size that is a multiple of the network's stride.
//
// Speed: ORT runs convolutions in its blocked NCHWc layout (8 channels a block
// on AVX2) and converts a tensor back to NCHW and again to NCHWc around every
// node it cannot run blocked: scalar Add/Mul, a lone Clip, a Conv whose channel
// count is not a multiple of 8. So the converter writes MobileNetV3's
// hard-swish, x * relu6(x + 3) / 6, as x times a 1x1 depthwise Conv with a Clip
// (which ORT fuses and runs blocked), and pads convolution channels to a
// multiple of 8 with zero weights where only convolutions read them
// (docs/pets-onnx.md has the profile).
//
// Kept channels (version 3): an output that is a convolution's, through
// per-element ops (Sigmoid, Relu, Identity), can keep only some of its
// channels (keepChannels): the convolution is written with only those filters
// and biases, so the other channels are never computed. The pet detector keeps
// centernet's person, cat and dog class maps of 80: its class head, a 128 -> 80
// channel 1x1 Conv at a quarter of the input side, was the largest single
// kernel of the run, and the JS peak decode scanned all 80 maps. Measured
// (docs/pets-onnx.md, under load, interleaved): ORT run 11-19% less CPU time
// at 512 and 416, peak decode 6-9x faster. The top 100 peaks are then taken over
// those 3 classes; no detection changed on the fixtures. Without keepChannels
// the graph is written as version 2 did (bench/pets.ts and
// test/pets-golden.test.ts compare the two).
import { endianness } from 'node:os';
import { bytesField, concat, intField, stringField } from './onnx-graph.ts';
import type { TfjsAttr, TfjsConstant, TfjsGraphModel, TfjsNode } from './tfjs-graph-model.ts';

/** Bump when the converter's output for the same model changes: it is part of the model version (registry.ts). */
export const TFJS_TO_ONNX_VERSION = 'tfjs2onnx@3';

export class UnsupportedTfjsOpError extends Error {
  constructor(readonly op: string, node: string, detail = '') {
    super(`cannot convert tfjs op ${op} (node ${node}) to ONNX${detail ? `: ${detail}` : ''}`);
    this.name = 'UnsupportedTfjsOpError';
  }
}

export interface ConvertOptions {
  /** tfjs tensor names the ONNX model outputs (NCHW), in this order. */
  outputs: readonly string[];
  /** Spatial size the graph was built for (its Placeholder's): resize sizes become factors relative to it. */
  referenceInputSize: number;
  /**
   * Hard activations as fused Convs and channels padded to the NCHWc block (see the top of this
   * file). Default true; false writes the graph op for op, as version 1 did (bench/pets.ts compares).
   */
  rewriteForOrt?: boolean;
  /**
   * Channels to keep, in this order, by output tensor: the output's convolution is written with
   * only those filters (see the top of this file). Outputs not named keep every channel.
   */
  keepChannels?: Readonly<Record<string, readonly number[]>>;
}

// onnx.proto field numbers and enums.
const MODEL = { irVersion: 1, producerName: 2, producerVersion: 3, graph: 7, opsetImport: 8 } as const;
const OPSET = { domain: 1, version: 2 } as const;
const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12 } as const;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5 } as const;
const ATTR = { name: 1, f: 2, i: 3, s: 4, ints: 8, type: 20 } as const;
const ATTR_TYPE = { float: 1, int: 2, string: 3, ints: 7 } as const;
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9 } as const;
const DATA_TYPE = { float: 1, int32: 6 } as const;
const VALUE_INFO = { name: 1, type: 2 } as const;
const TYPE_TENSOR = 1, TENSOR_TYPE_ELEM = 1, TENSOR_TYPE_SHAPE = 2, SHAPE_DIM = 1, DIM_VALUE = 1, DIM_PARAM = 2;

type Attribute = Uint8Array;
const intAttr = (name: string, v: number): Attribute => bytesField(NODE.attribute, concat([stringField(ATTR.name, name), intField(ATTR.i, v), intField(ATTR.type, ATTR_TYPE.int)]));
const intsAttr = (name: string, vs: readonly number[]): Attribute => bytesField(NODE.attribute, concat([stringField(ATTR.name, name), ...vs.map((v) => intField(ATTR.ints, v)), intField(ATTR.type, ATTR_TYPE.ints)]));
const stringAttr = (name: string, v: string): Attribute => bytesField(NODE.attribute, concat([stringField(ATTR.name, name), stringField(ATTR.s, v), intField(ATTR.type, ATTR_TYPE.string)]));

function tensorBytes(name: string, dims: readonly number[], values: Float32Array | Int32Array): Uint8Array {
  // ONNX raw_data is little-endian: copy the bytes as they are on a little-endian host.
  let raw = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  if (endianness() !== 'LE') {
    raw = new Uint8Array(values.byteLength);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => (values instanceof Float32Array ? view.setFloat32(4 * i, v, true) : view.setInt32(4 * i, v, true)));
  }
  return concat([
    ...dims.map((d) => intField(TENSOR.dims, d)),
    intField(TENSOR.dataType, values instanceof Float32Array ? DATA_TYPE.float : DATA_TYPE.int32),
    stringField(TENSOR.name, name),
    bytesField(TENSOR.rawData, raw),
  ]);
}

/** A float tensor value info; dims are numbers or symbolic names. */
function valueInfo(name: string, dims?: readonly (number | string)[]): Uint8Array {
  const shape = dims
    ? [bytesField(TENSOR_TYPE_SHAPE, concat(dims.map((d) => bytesField(SHAPE_DIM, typeof d === 'number' ? intField(DIM_VALUE, d) : stringField(DIM_PARAM, d)))))]
    : [];
  const tensorType = concat([intField(TENSOR_TYPE_ELEM, DATA_TYPE.float), ...shape]);
  return concat([stringField(VALUE_INFO.name, name), bytesField(VALUE_INFO.type, bytesField(TYPE_TENSOR, tensorType))]);
}

const base64 = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8'));
const listInts = (a: TfjsAttr | undefined) => (a?.list?.i ?? []).map(Number);
/** A node's data inputs (control inputs dropped), as tensor names without ':0'. */
const dataInputs = (node: TfjsNode) => (node.input ?? []).filter((i) => !i.startsWith('^')).map((i) => i.replace(/:0$/, ''));

const CONVOLUTIONS = new Set(['Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative']);
/** Ops that compute each channel from the same channel alone: a kept channel of their output needs only that channel of their input. */
const PER_ELEMENT = new Set(['Identity', 'Sigmoid', 'Relu', 'Relu6']);
/** ORT's NCHWc block on AVX2; the backbone's own channel counts are all multiples of it. */
const CHANNEL_ALIGNMENT = 8;

/** Converts the subgraph of model that computes options.outputs; returns the ONNX ModelProto bytes. */
export function convertTfjsToOnnx(model: TfjsGraphModel, options: ConvertOptions): Uint8Array {
  const byName = new Map(model.nodes.map((n) => [n.name, n]));
  const nodes: Uint8Array[] = [];
  const initializers: Uint8Array[] = [];
  const initializerNames = new Set<string>();
  const inputs: Uint8Array[] = [];
  /** Spatial [h, w] of each converted tensor at the reference input size (for resize factors). */
  const spatial = new Map<string, [number, number]>();
  /** Channels of each converted tensor as stored, zero padding included. */
  const channels = new Map<string, number>();

  const constant = (name: string, user: TfjsNode): TfjsConstant => {
    const c = model.constants.get(name);
    if (!c) throw new UnsupportedTfjsOpError(byName.get(name)?.op ?? 'unknown', user.name, `input ${name} is not a constant`);
    return c;
  };
  const addInitializer = (name: string, dims: readonly number[], values: Float32Array | Int32Array): string => {
    if (!initializerNames.has(name)) {
      initializerNames.add(name);
      initializers.push(bytesField(GRAPH.initializer, tensorBytes(name, dims, values)));
    }
    return name;
  };
  const emit = (op: string, name: string, ins: readonly string[], outs: readonly string[], attributes: readonly Attribute[] = []) => {
    nodes.push(bytesField(GRAPH.node, concat([
      ...ins.map((i) => stringField(NODE.input, i)),
      ...outs.map((o) => stringField(NODE.output, o)),
      stringField(NODE.name, name),
      stringField(NODE.opType, op),
      ...attributes,
    ])));
  };

  // Dependency order: depth-first from the outputs, inputs in their listed order.
  const order: TfjsNode[] = [];
  const visited = new Set<string>();
  const visit = (tensor: string) => {
    const name = tensor.replace(/^\^/, '');
    if (/:\d+$/.test(name) && !name.endsWith(':0')) throw new UnsupportedTfjsOpError(byName.get(name.replace(/:\d+$/, ''))?.op ?? 'unknown', name, 'a second output of a node');
    const nodeName = name.replace(/:0$/, '');
    if (visited.has(nodeName)) return;
    visited.add(nodeName);
    const node = byName.get(nodeName);
    if (!node) throw new Error(`tfjs graph has no node ${nodeName}`);
    for (const input of node.input ?? []) visit(input);
    order.push(node);
  };
  for (const output of options.outputs) visit(output);

  const readers = new Map<string, TfjsNode[]>();
  for (const node of order) for (const input of new Set(dataInputs(node))) readers.set(input, [...(readers.get(input) ?? []), node]);
  const outputNames = new Set(options.outputs.map((o) => o.replace(/:0$/, '')));
  const readOnlyOnce = (tensor: string) => !outputNames.has(tensor) && readers.get(tensor)?.length === 1;
  const rewrite = options.rewriteForOrt ?? true;
  /** Whether zero channels appended to tensor reach only convolutions: a pointwise one ignores them (zero weights), a depthwise one passes them on. */
  const onlyConvolutionsRead = (tensor: string): boolean => {
    if (!rewrite) return false;
    const users = readers.get(tensor) ?? [];
    return !outputNames.has(tensor) && users.length > 0 && users.every((user) => {
      if (!CONVOLUTIONS.has(user.op) || dataInputs(user)[0] !== tensor) return false;
      if (!user.op.includes('Depthwise')) return true;
      const multiplier = model.constants.get(dataInputs(user)[1]!)?.shape[3];
      return multiplier === 1 && onlyConvolutionsRead(user.name);
    });
  };
  const hardActivations = rewrite ? findHardActivations(order, byName, model.constants, readOnlyOnce) : new Map<string, HardActivation>();
  /** The filters to keep, by the name of the convolution an output with keepChannels comes from. */
  const keptFilters = new Map<string, readonly number[]>();
  for (const [output, kept] of Object.entries(options.keepChannels ?? {})) {
    const convolution = convolutionBehind(output.replace(/:0$/, ''), byName, readers, outputNames);
    const filters = model.constants.get(dataInputs(byName.get(convolution)!)[1]!)?.shape[3] ?? 0;
    if (kept.length === 0 || kept.some((c) => !Number.isInteger(c) || c < 0 || c >= filters)) {
      throw new Error(`keepChannels for ${output}: [${kept}] must be channels of its convolution ${convolution} (0 to ${filters - 1})`);
    }
    keptFilters.set(convolution, kept);
  }
  const replaced = new Set([...hardActivations.values()].flatMap((h) => h.replaces));

  for (const node of order) {
    if (replaced.has(node.name)) continue; // computed by a hard activation below
    const ins = dataInputs(node);
    const attr = node.attr ?? {};
    const out = node.name;
    const shapeOf = (tensor: string): [number, number] => {
      const s = spatial.get(tensor);
      if (!s) throw new UnsupportedTfjsOpError(node.op, node.name, `input ${tensor} has no known spatial size`);
      return s;
    };
    const channelsOf = (tensor: string): number => {
      const c = channels.get(tensor);
      if (c === undefined) throw new UnsupportedTfjsOpError(node.op, node.name, `input ${tensor} has no known channel count`);
      return c;
    };
    const hard = hardActivations.get(node.name);
    if (hard) {
      const gate = hard.kind === 'swish' ? `${out}/gate` : out;
      emitHardSigmoid(hard, tensorName(hard.input, byName), gate, channelsOf(hard.input));
      if (hard.kind === 'swish') emit('Mul', out, [tensorName(hard.input, byName), gate], [out]);
      spatial.set(out, shapeOf(hard.input));
      channels.set(out, channelsOf(hard.input));
      continue;
    }
    switch (node.op) {
      case 'Const':
        break; // emitted where used, in the form the user needs
      case 'Placeholder': {
        // Height and width stay symbolic, so one converted model serves every input size.
        const dims = attr.shape?.shape?.dim ?? [];
        const inputChannels = Number(dims[3]?.size);
        if (dims.length !== 4 || !(inputChannels > 0)) throw new UnsupportedTfjsOpError(node.op, node.name, 'an input that is not NHWC with known channels');
        inputs.push(bytesField(GRAPH.input, valueInfo(out, [1, 'height', 'width', inputChannels])));
        emit('Transpose', `${out}/to_nchw`, [out], [`${out}/nchw`], [intsAttr('perm', [0, 3, 1, 2])]);
        spatial.set(out, [options.referenceInputSize, options.referenceInputSize]);
        channels.set(out, inputChannels);
        break;
      }
      case 'Conv2D':
      case '_FusedConv2D':
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative': {
        if (base64(attr.data_format?.s) !== 'NHWC') throw new UnsupportedTfjsOpError(node.op, node.name, 'data format other than NHWC');
        const depthwise = node.op.includes('Depthwise');
        const kept = keptFilters.get(out);
        const filter = kept ? keepFilters(constant(ins[1]!, node), kept) : constant(ins[1]!, node);
        const keptSuffix = kept ? `:filters=${kept.join(',')}` : '';
        const [kh, kw, cin, cout] = filter.shape as [number, number, number, number]; // cout: the multiplier when depthwise
        // Channels not a multiple of the NCHWc block make ORT run this Conv in NCHW, converting its
        // input and output: pad them with zero weights where only convolutions read the output.
        const storedIn = channelsOf(ins[0]!);
        if (storedIn !== cin && depthwise && cout !== 1) throw new UnsupportedTfjsOpError(node.op, node.name, 'zero-padded input to a depthwise multiplier above 1');
        const storedOut = depthwise ? storedIn * cout : cout % CHANNEL_ALIGNMENT !== 0 && onlyConvolutionsRead(out) ? roundUp(cout, CHANNEL_ALIGNMENT) : cout;
        const padded = storedIn !== cin || storedOut !== (depthwise ? cin * cout : cout);
        const paddedSuffix = padded ? `:${storedOut}x${storedIn}` : '';
        const weights = depthwise ? depthwiseWeights(filter, storedIn) : convWeights(filter, storedIn, storedOut);
        const weightName = addInitializer(`${ins[1]}:oihw${keptSuffix}${paddedSuffix}`, depthwise ? [storedOut, 1, kh, kw] : [storedOut, storedIn, kh, kw], weights);
        const fused = (attr.fused_ops?.list?.s ?? []).map((s) => base64(s)!);
        if (fused.length > 0 && fused[0] !== 'BiasAdd') throw new UnsupportedTfjsOpError(`${node.op} fused with ${fused.join('+')}`, node.name);
        const activation = fused[1];
        if (fused.length > 2 || (activation !== undefined && activation !== 'Relu' && activation !== 'Relu6')) {
          throw new UnsupportedTfjsOpError(`${node.op} fused with ${fused.join('+')}`, node.name);
        }
        const convInputs = [tensorName(ins[0]!, byName), weightName];
        if (fused[0] === 'BiasAdd') {
          const bias = constant(ins[2]!, node);
          const values = new Float32Array(storedOut); // padded channels: bias 0
          values.set(kept ? kept.map((c) => bias.values[c]!) : bias.values);
          convInputs.push(addInitializer(`${ins[2]}${keptSuffix}${paddedSuffix}`, [storedOut], values));
        }
        const padding = base64(attr.padding?.s);
        if (padding !== 'SAME' && padding !== 'VALID') throw new UnsupportedTfjsOpError(node.op, node.name, `padding ${padding}`);
        const strides = listInts(attr.strides).slice(1, 3);
        const dilations = listInts(attr.dilations).slice(1, 3);
        const attributes = [
          intsAttr('kernel_shape', [kh, kw]),
          intsAttr('strides', strides.length ? strides : [1, 1]),
          intsAttr('dilations', dilations.length ? dilations : [1, 1]),
          stringAttr('auto_pad', padding === 'SAME' ? 'SAME_UPPER' : 'VALID'),
          ...(depthwise ? [intAttr('group', storedIn)] : []),
        ];
        const convOut = activation ? `${out}/conv` : out;
        emit('Conv', convOut, convInputs, [convOut], attributes);
        if (activation) emitActivation(activation, convOut, out);
        const [h, w] = shapeOf(ins[0]!);
        const [sh, sw] = strides.length ? strides : [1, 1];
        spatial.set(out, padding === 'SAME' ? [Math.ceil(h / sh!), Math.ceil(w / sw!)] : [Math.ceil((h - kh + 1) / sh!), Math.ceil((w - kw + 1) / sw!)]);
        channels.set(out, storedOut);
        break;
      }
      case 'Relu':
      case 'Relu6':
      case 'Sigmoid':
      case 'Identity':
        if (node.op === 'Relu6') emitActivation('Relu6', tensorName(ins[0]!, byName), out);
        else emit(node.op, out, [tensorName(ins[0]!, byName)], [out]);
        spatial.set(out, shapeOf(ins[0]!));
        channels.set(out, channelsOf(ins[0]!));
        break;
      case 'Add':
      case 'AddV2':
      case 'Mul':
      case 'Sub': {
        const operands = ins.map((i) => {
          if (!model.constants.has(i)) return tensorName(i, byName);
          const c = constant(i, node);
          if (c.shape.length === 0 || (c.shape.length === 1 && c.shape[0] === 1)) return addInitializer(`${i}:scalar`, [], Float32Array.from(c.values));
          if (c.shape.length === 1) return addInitializer(`${i}:c11`, [c.shape[0]!, 1, 1], Float32Array.from(c.values)); // per channel, NCHW
          throw new UnsupportedTfjsOpError(node.op, node.name, `constant operand of shape [${c.shape}]`);
        });
        emit(node.op === 'AddV2' ? 'Add' : node.op, out, operands, [out]);
        const tensors = ins.filter((i) => !model.constants.has(i));
        const known = tensors.map(shapeOf);
        spatial.set(out, [Math.max(...known.map((s) => s[0])), Math.max(...known.map((s) => s[1]))]);
        channels.set(out, Math.max(...tensors.map(channelsOf)));
        break;
      }
      case 'Mean': {
        const axes = Array.from(constant(ins[1]!, node).values).sort();
        if (axes.join() !== '1,2' || attr.keep_dims?.b !== true) throw new UnsupportedTfjsOpError(node.op, node.name, `mean over axes [${axes}] (only a spatial mean with keep_dims)`);
        emit('GlobalAveragePool', out, [tensorName(ins[0]!, byName)], [out]);
        spatial.set(out, [1, 1]);
        channels.set(out, channelsOf(ins[0]!));
        break;
      }
      case 'ResizeBilinear': {
        if (attr.align_corners?.b || attr.half_pixel_centers?.b) throw new UnsupportedTfjsOpError(node.op, node.name, 'align_corners or half_pixel_centers');
        const [toH, toW] = Array.from(constant(ins[1]!, node).values) as [number, number];
        const [h, w] = shapeOf(ins[0]!);
        const scales = addInitializer(`${out}:scales`, [4], Float32Array.from([1, 1, toH / h, toW / w]));
        emit('Resize', out, [tensorName(ins[0]!, byName), '', scales], [out], [stringAttr('mode', 'linear'), stringAttr('coordinate_transformation_mode', 'asymmetric')]);
        spatial.set(out, [toH, toW]);
        channels.set(out, channelsOf(ins[0]!));
        break;
      }
      case 'ConcatV2': {
        const axis = constant(ins[ins.length - 1]!, node).values[0];
        if (axis !== 3 && axis !== -1) throw new UnsupportedTfjsOpError(node.op, node.name, `concatenation on axis ${axis} (only channels)`);
        const parts = ins.slice(0, -1);
        emit('Concat', out, parts.map((i) => tensorName(i, byName)), [out], [intAttr('axis', 1)]);
        spatial.set(out, shapeOf(parts[0]!));
        channels.set(out, parts.reduce((sum, part) => sum + channelsOf(part), 0));
        break;
      }
      default:
        throw new UnsupportedTfjsOpError(node.op, node.name);
    }
  }

  function emitActivation(activation: string, input: string, output: string): void {
    if (activation === 'Relu') return emit('Relu', output, [input], [output]);
    const min = addInitializer('mnemo/relu6_min', [], Float32Array.of(0));
    const max = addInitializer('mnemo/relu6_max', [], Float32Array.of(6));
    emit('Clip', output, [input, min, max], [output]);
  }

  /**
   * a * relu6(x + c) as clip(a * x + a * c, 0, 6a): a 1x1 depthwise Conv and a Clip, which ORT fuses
   * into one Conv it runs in its blocked layout, instead of an Add, a Clip and a Mul it runs in NCHW.
   */
  function emitHardSigmoid(hard: HardActivation, input: string, output: string, inputChannels: number): void {
    const scale = addInitializer(`${output}/scale`, [inputChannels, 1, 1, 1], new Float32Array(inputChannels).fill(hard.scale));
    const offset = addInitializer(`${output}/offset`, [inputChannels], new Float32Array(inputChannels).fill(hard.scale * hard.offset));
    emit('Conv', `${output}/affine`, [input, scale, offset], [`${output}/affine`], [intsAttr('kernel_shape', [1, 1]), intAttr('group', inputChannels)]);
    const min = addInitializer('mnemo/relu6_min', [], Float32Array.of(0));
    const max = addInitializer(`${output}/max`, [], Float32Array.of(6 * hard.scale));
    emit('Clip', output, [`${output}/affine`, min, max], [output]);
  }

  const graph = concat([
    ...nodes,
    stringField(GRAPH.name, 'converted by mnemo from a tfjs graph model'),
    ...initializers,
    ...inputs,
    ...options.outputs.map((o) => bytesField(GRAPH.output, valueInfo(o.replace(/:0$/, '')))),
  ]);
  return concat([
    intField(MODEL.irVersion, 7),
    stringField(MODEL.producerName, 'mnemo tfjs-to-onnx'),
    stringField(MODEL.producerVersion, TFJS_TO_ONNX_VERSION),
    bytesField(MODEL.graph, graph),
    bytesField(MODEL.opsetImport, concat([stringField(OPSET.domain, ''), intField(OPSET.version, 13)])),
  ]);
}

/** The ONNX tensor that holds a tfjs tensor: the placeholder's NCHW copy, otherwise the same name. */
function tensorName(tfjsName: string, byName: Map<string, TfjsNode>): string {
  return byName.get(tfjsName)?.op === 'Placeholder' ? `${tfjsName}/nchw` : tfjsName;
}

/** tfjs Conv2D filter [kh, kw, in, out] to ONNX [storedOut, storedIn, kh, kw], padded channels zero. */
function convWeights(filter: TfjsConstant, storedIn: number, storedOut: number): Float32Array {
  const [kh, kw, cin, cout] = filter.shape as [number, number, number, number];
  const out = new Float32Array(storedOut * storedIn * kh * kw);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) {
    out[((o * storedIn + i) * kh + y) * kw + x] = filter.values[((y * kw + x) * cin + i) * cout + o]!;
  }
  return out;
}

/** tfjs depthwise filter [kh, kw, in, multiplier] to ONNX [storedIn * multiplier, 1, kh, kw] (group = storedIn), padded channels zero. */
function depthwiseWeights(filter: TfjsConstant, storedIn: number): Float32Array {
  const [kh, kw, cin, mult] = filter.shape as [number, number, number, number];
  const out = new Float32Array(storedIn * mult * kh * kw);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < cin; i++) for (let m = 0; m < mult; m++) {
    out[((i * mult + m) * kh + y) * kw + x] = filter.values[((y * kw + x) * cin + i) * mult + m]!;
  }
  return out;
}

const roundUp = (n: number, multiple: number) => Math.ceil(n / multiple) * multiple;

/** A Conv2D filter [kh, kw, in, out] with only the output channels kept, in that order. */
function keepFilters(filter: TfjsConstant, kept: readonly number[]): TfjsConstant {
  const [kh, kw, cin, cout] = filter.shape as [number, number, number, number];
  const values = new Float32Array(kh * kw * cin * kept.length);
  for (let k = 0; k < kh * kw * cin; k++) kept.forEach((c, i) => (values[k * kept.length + i] = filter.values[k * cout + c]!));
  return { dtype: 'float32', shape: [kh, kw, cin, kept.length], values };
}

/**
 * The (not depthwise) convolution whose output reaches output through per-element ops only, each
 * tensor on the way read by nothing but the next op: dropping its filters drops exactly the
 * output's channels and changes nothing else.
 */
function convolutionBehind(output: string, byName: Map<string, TfjsNode>, readers: Map<string, TfjsNode[]>, outputs: Set<string>): string {
  if (!outputs.has(output)) throw new Error(`keepChannels names ${output}, which is not an output`);
  if (readers.get(output)?.length) throw new Error(`keepChannels for ${output}: other converted nodes read all its channels`);
  let tensor = output;
  for (;;) {
    const node = byName.get(tensor)!;
    if (node.op === 'Conv2D' || node.op === '_FusedConv2D') return tensor;
    const input = dataInputs(node)[0];
    if (!PER_ELEMENT.has(node.op) || input === undefined || outputs.has(input) || readers.get(input)?.length !== 1) {
      throw new Error(`keepChannels for ${output}: it must be a convolution's output through per-element ops read by nothing else, but meets ${node.op} (node ${tensor})`);
    }
    tensor = input;
  }
}

/** MobileNetV3's hard sigmoid a * relu6(x + c), or its hard swish x * a * relu6(x + c), as tfjs spells them. */
interface HardActivation {
  kind: 'sigmoid' | 'swish';
  input: string;
  /** a */
  scale: number;
  /** c */
  offset: number;
  /** The tfjs nodes before the last one that it computes (read by nothing else). */
  replaces: string[];
}

/**
 * Hard activations by the name of their last tfjs node: a Mul of a positive scalar and Relu6(Add(x,
 * scalar)) (a sigmoid), or a Mul of Mul(positive scalar, x) and Relu6(Add(x, scalar)) (a swish).
 */
function findHardActivations(order: readonly TfjsNode[], byName: Map<string, TfjsNode>, constants: Map<string, TfjsConstant>, readOnlyOnce: (tensor: string) => boolean): Map<string, HardActivation> {
  const scalar = (tensor: string) => {
    const c = constants.get(tensor);
    return c && c.values.length === 1 && c.shape.length <= 1 ? c.values[0]! : undefined;
  };
  /** [x, scalar] when node multiplies or adds a tensor and a scalar, in either order. */
  const tensorAndScalar = (node: TfjsNode | undefined, ops: readonly string[]): [string, number] | undefined => {
    if (!node || !ops.includes(node.op)) return undefined;
    const [p, q] = dataInputs(node) as [string, string];
    const [tensor, value] = scalar(q) !== undefined ? [p, scalar(q)] : [q, scalar(p)];
    return value === undefined || constants.has(tensor) ? undefined : [tensor, value];
  };
  /** relu6(x + c) when both nodes are read only by the caller. */
  const relu6OfShift = (tensor: string) => {
    const relu = byName.get(tensor);
    if (relu?.op !== 'Relu6' || !readOnlyOnce(tensor)) return undefined;
    const addName = dataInputs(relu)[0]!;
    const shift = readOnlyOnce(addName) ? tensorAndScalar(byName.get(addName), ['Add', 'AddV2']) : undefined;
    return shift && { input: shift[0], offset: shift[1], replaces: [addName, tensor] };
  };
  const found = new Map<string, HardActivation>();
  for (const node of order) {
    if (node.op !== 'Mul') continue;
    const [p, q] = dataInputs(node) as [string, string];
    for (const [factor, other] of [[p, q], [q, p]] as const) {
      const relu6 = relu6OfShift(other);
      if (!relu6) continue;
      const scale = scalar(factor);
      if (scale !== undefined && scale > 0) {
        found.set(node.name, { kind: 'sigmoid', scale, ...relu6 });
        break;
      }
      const scaled = readOnlyOnce(factor) ? tensorAndScalar(byName.get(factor), ['Mul']) : undefined;
      if (scaled && scaled[0] === relu6.input && scaled[1] > 0) {
        found.set(node.name, { kind: 'swish', scale: scaled[1], input: relu6.input, offset: relu6.offset, replaces: [factor, ...relu6.replaces] });
        break;
      }
    }
  }
  return found;
}
