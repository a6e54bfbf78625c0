// ONNX Runtime session creation shared by the face models (detector,
// landmarks, embedder), so they all run with the same threading settings.
import * as ort from 'onnxruntime-node';

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
    ? ort.InferenceSession.create(model, SINGLE_THREAD_SESSION_OPTIONS)
    : ort.InferenceSession.create(model, SINGLE_THREAD_SESSION_OPTIONS);
}
