// SHA-256 of a file's bytes, streamed.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

/**
 * Streaming SHA-256 with one reused buffer per caller: plain reads on a file
 * handle cost far less than a ReadStream's per-chunk allocations and events.
 */
export async function sha256OfFile(path: string | Buffer, buffer: Buffer = Buffer.allocUnsafe(1 << 20)): Promise<string> {
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

/** SHA-256 of bytes already in memory (what a worker actually decoded). */
export function sha256OfBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Why an analysis refused a file: its bytes are no longer those the hash node
 * read. Results are stored under the content's SHA-256, so storing them would
 * show this content's faces and EXIF for every other copy of the old photo.
 */
export const CHANGED_SINCE_HASHED = 'the file changed after it was hashed (replaced during the run); it is analysed again on the next run';
