// ONNX Runtime session creation shared by the models (face detector,
// landmarks, embedder, pets), so they all run with the same threading settings.
//
// onnxruntime-node loads its native library when imported (about 60 ms).
// `mnemo run` imports every node type to plan a run, and a run where nothing
// changed runs no model, so ONNX Runtime loads with the first session or tensor.
import { createRequire } from 'node:module';
import type * as ort from 'onnxruntime-node';

let runtime: typeof ort | null = null;

/** onnxruntime-node, loaded on first use. */
function onnxRuntime(): typeof ort {
  return (runtime ??= createRequire(import.meta.url)('onnxruntime-node') as typeof ort);
}

/** A float32 input tensor. */
export function float32Tensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new (onnxRuntime().Tensor)('float32', data, dims);
}

/** onnxruntime-node run() blocks its JS thread; parallelism comes from workers, one ORT thread each. */
export const SINGLE_THREAD_SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
};

/** An ORT session on one thread, from a path or from ONNX bytes (see readOnnxModel). */
export function createSingleThreadSession(model: string | Uint8Array): Promise<ort.InferenceSession> {
  // Two calls because create() is overloaded on the argument type.
  return typeof model === 'string'
    ? onnxRuntime().InferenceSession.create(model, SINGLE_THREAD_SESSION_OPTIONS)
    : onnxRuntime().InferenceSession.create(model, SINGLE_THREAD_SESSION_OPTIONS);
}
