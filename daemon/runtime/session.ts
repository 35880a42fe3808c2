import * as ort from 'onnxruntime-node';
import type { ExecutionProvider, TensorSignature } from '../../protocol';
import { SightlineError } from '../../protocol';

export interface SessionOptions {
  provider: ExecutionProvider;
  /** Threads inside one operator (0 = onnxruntime's default: one per core). */
  intraOpThreads?: number;
  interOpThreads?: number;
}

export interface OpenedSession {
  session: ort.InferenceSession;
  /** The provider that actually runs (may be `cpu` after a fallback). */
  provider: ExecutionProvider;
  fallbackReason?: string;
  inputs: TensorSignature[];
  outputs: TensorSignature[];
}

/**
 * Creates an onnxruntime-node session on the requested execution provider. GPU providers that
 * cannot start (no WebGPU adapter, CUDA binaries not installed) fall back to CPU, and the reason
 * is kept so every prediction and `sightline models` can say which provider really ran.
 */
export async function openSession(model: Uint8Array, opts: SessionOptions): Promise<OpenedSession> {
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    ...(opts.intraOpThreads ? { intraOpNumThreads: opts.intraOpThreads } : {}),
    ...(opts.interOpThreads ? { interOpNumThreads: opts.interOpThreads } : {}),
  };
  if (opts.provider !== 'cpu') {
    try {
      const session = await ort.InferenceSession.create(model, { ...base, executionProviders: [opts.provider] });
      return { session, provider: opts.provider, ...signatures(session) };
    } catch (err) {
      const reason = `${opts.provider} unavailable, running on cpu: ${firstLine(err)}${hint(opts.provider)}`;
      const session = await createCpu(model, base);
      return { session, provider: 'cpu', fallbackReason: reason, ...signatures(session) };
    }
  }
  const session = await createCpu(model, base);
  return { session, provider: 'cpu', ...signatures(session) };
}

async function createCpu(model: Uint8Array, base: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(model, { ...base, executionProviders: ['cpu'] });
  } catch (err) {
    throw new SightlineError('model_load_failed', `onnxruntime cannot load this model: ${firstLine(err)}`);
  }
}

function signatures(session: ort.InferenceSession): { inputs: TensorSignature[]; outputs: TensorSignature[] } {
  const conv = (m: ort.InferenceSession.ValueMetadata): TensorSignature =>
    m.isTensor
      ? { name: m.name, type: m.type, shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : typeof d === 'string' ? d : null)) }
      : { name: m.name, type: 'non-tensor', shape: [] };
  return { inputs: session.inputMetadata.map(conv), outputs: session.outputMetadata.map(conv) };
}

function hint(provider: ExecutionProvider): string {
  if (provider === 'webgpu') return ' (WebGPU needs a GPU adapter: on Linux a Vulkan loader, Debian `libvulkan1`, and the driver ICD, e.g. VK_DRIVER_FILES=/usr/share/vulkan/icd.d/nvidia_icd.json)';
  if (provider === 'cuda') return ' (CUDA binaries are opt-in: reinstall with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node`, see README "GPU")';
  return '';
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const line = msg.split('\n')[0] ?? msg;
  // onnxruntime prefixes its own source location and assertion; keep the human part.
  const failed = /(Failed to [^]*)$/.exec(line);
  return (failed?.[1] ?? line).trim();
}

export const onnxruntimeVersion: string = (ort.env.versions as { node?: string; common?: string }).node ?? (ort.env.versions as { common?: string }).common ?? 'unknown';
