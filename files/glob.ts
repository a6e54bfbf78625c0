// Glob patterns for source include/exclude rules, matched against paths
// relative to the source root with '/' separators. Case-insensitive, because
// cameras write IMG_0001.JPG and people write *.jpg.
//   **  any number of folders     *  anything but '/'     ?  one character
//   {a,b}  alternatives           [abc]  a character class

const cache = new Map<string, RegExp>();

/** A malformed pattern. The spec check and scan compile with the same function, so they agree. */
export class GlobError extends Error {
  override name = 'GlobError';
  constructor(readonly pattern: string, readonly problem: string) {
    super(`glob ${JSON.stringify(pattern)}: ${problem}`);
  }
}

/** Compiles a pattern; throws a GlobError saying what is wrong with a malformed one. */
export function globToRegExp(pattern: string): RegExp {
  const cached = cache.get(pattern);
  if (cached) return cached;
  let source = '';
  let braceDepth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*') {
      if (pattern[i + 1] === '*') {
        const atSegmentStart = i === 0 || pattern[i - 1] === '/';
        i++;
        if (pattern[i + 1] === '/' && atSegmentStart) {
          i++;
          source += '(?:.*/)?'; // '**/' matches zero or more folders
        } else {
          source += '.*';
        }
      } else {
        source += '[^/]*';
      }
    } else if (char === '?') source += '[^/]';
    else if (char === '{') {
      braceDepth++;
      source += '(?:';
    } else if (char === '}') {
      if (braceDepth === 0) throw new GlobError(pattern, "'}' without a '{' before it");
      braceDepth--;
      source += ')';
    } else if (char === ',' && braceDepth > 0) source += '|';
    else if (char === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) throw new GlobError(pattern, "unclosed '[' (a literal '[' is written '[[]')");
      const body = pattern.slice(i + 1, end);
      // '[]' and '[!]' would compile to a class matching nothing or anything.
      if (body === '' || body === '!') throw new GlobError(pattern, `empty character class '[${body}]'`);
      source += `[${body.replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (char === ']') throw new GlobError(pattern, "']' without a '[' before it");
    else source += char.replace(/[.+^$()|\\]/g, '\\$&');
  }
  if (braceDepth > 0) throw new GlobError(pattern, "unclosed '{'");
  let regexp: RegExp;
  try {
    regexp = new RegExp(`^${source}$`, 'iu');
  } catch (error) {
    // What the checks above miss, e.g. a reversed range '[z-a]'.
    throw new GlobError(pattern, `not a valid pattern (${(error as Error).message.replace(/^Invalid regular expression: \/.*\/\w*: /, '')})`);
  }
  cache.set(pattern, regexp);
  return regexp;
}

export function matchesAny(path: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => globToRegExp(pattern).test(path));
}

/** A folder is pruned when a pattern names it, or names everything under it ('dir/**'). */
export function excludesFolder(folder: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => globToRegExp(pattern).test(folder) || (pattern.endsWith('/**') && globToRegExp(pattern.slice(0, -3)).test(folder)));
}
