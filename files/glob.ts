// Glob patterns for source include/exclude rules, matched against paths
// relative to the source root with '/' separators. Case-insensitive, because
// cameras write IMG_0001.JPG and people write *.jpg.
//   **  any number of folders     *  anything but '/'     ?  one character
//   {a,b}  alternatives           [abc]  a character class

const cache = new Map<string, RegExp>();

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
    } else if (char === '}' && braceDepth > 0) {
      braceDepth--;
      source += ')';
    } else if (char === ',' && braceDepth > 0) source += '|';
    else if (char === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) source += '\\[';
      else {
        source += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else source += char.replace(/[.+^$()|\\]/g, '\\$&');
  }
  const regexp = new RegExp(`^${source}$`, 'iu');
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
