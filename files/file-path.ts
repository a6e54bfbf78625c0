// File names that are not valid UTF-8 (a Latin-1 `caf\xe9.jpg` from an old
// disk or another system). Node decodes such names lossily (U+FFFD), so the
// path it hands back does not exist. The walk reads names as bytes and keeps
// two forms of each relative path:
//   - path: readable text. A valid UTF-8 path is exactly its text, as it always
//     was (so file_ids of existing files never change). A path with invalid
//     bytes shows each as `\xHH` and, in that path only, a literal backslash as
//     `\\`: every backslash then starts an escape, so the readable form is
//     reversible and two different byte paths never share it.
//   - pathBytes: the real bytes, only for a path that is not valid UTF-8 (else null).
// A valid UTF-8 name that literally contains `\xE9` reads the same as the byte
// name `caf<E9>`; no readable text can avoid that while valid names keep
// their text. file_id hashes the real bytes, so the two still never share one.
import { isUtf8 } from 'node:buffer';
import { join } from 'node:path';

export interface RelativePath {
  /** Readable, '/'-separated. */
  path: string;
  /** The real bytes when they are not valid UTF-8, else null. */
  pathBytes: Buffer | null;
}

/** The readable form of a relative path read as bytes, with the bytes kept when they are not valid UTF-8. */
export function readablePath(bytes: Buffer): RelativePath {
  if (isUtf8(bytes)) return { path: bytes.toString('utf8'), pathBytes: null };
  let path = '';
  for (let index = 0; index < bytes.length;) {
    const length = utf8SequenceLength(bytes, index);
    if (length === 0) {
      path += `\\x${bytes[index]!.toString(16).toUpperCase().padStart(2, '0')}`;
      index++;
    } else {
      const text = bytes.toString('utf8', index, index + length);
      path += text === '\\' ? '\\\\' : text;
      index += length;
    }
  }
  return { path, pathBytes: bytes };
}

/** The length of the valid UTF-8 character starting at `index`, or 0 when that byte starts none. */
function utf8SequenceLength(bytes: Buffer, index: number): number {
  const lead = bytes[index]!;
  const length = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
  // isUtf8 on the candidate rejects bad continuations, overlong forms and surrogates.
  return length > 0 && index + length <= bytes.length && isUtf8(bytes.subarray(index, index + length)) ? length : 0;
}

/** The bytes a readable form with escapes stands for (the inverse of readablePath for a path that needs its bytes). */
export function bytesFromReadable(path: string): Buffer {
  const parts: Buffer[] = [];
  for (const [, backslash, hex, text] of path.matchAll(/(\\\\)|\\x([0-9A-F]{2})|([^\\]+|\\)/g)) {
    parts.push(backslash ? Buffer.from('\\') : hex ? Buffer.from([parseInt(hex, 16)]) : Buffer.from(text!));
  }
  return Buffer.concat(parts);
}

/** What fs functions take for a file under `root`: the joined string, or the real bytes when the name is not valid UTF-8. */
export function filePath(root: string, path: string, pathBytes: Uint8Array | null | undefined): string | Buffer {
  if (!pathBytes) return join(root, path);
  return Buffer.concat([Buffer.from(root ? join(root, '/') : ''), pathBytes]);
}
