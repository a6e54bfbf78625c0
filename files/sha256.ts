// SHA-256 of a file's bytes, streamed.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

/**
 * Streaming SHA-256 with one reused buffer per caller: plain reads on a file
 * handle cost far less than a ReadStream's per-chunk allocations and events.
 */
export async function sha256OfFile(path: string, buffer: Buffer = Buffer.allocUnsafe(1 << 20)): Promise<string> {
  const digest = createHash('sha256');
  const handle = await open(path, 'r');
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      digest.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return digest.digest('hex');
}
