// The commented mnemo.yaml that `mnemo init` and the demo write: one folder, the default pipeline.
import { DEFAULT_PIPELINE } from '../nodes/default-pipeline.ts';
import { DEFAULT_EXCLUDE, DEFAULT_INCLUDE } from '../dag/spec.ts';

export function initialSpec(folder: string, dataDir = './mnemo-data', include: string[] = DEFAULT_INCLUDE): string {
  const quote = (text: string) => JSON.stringify(text);
  const lines = [
    '# mnemo pipeline. Validate and run with `mnemo run`; override a parameter once with',
    '# `mnemo run --set node.param=value`. Every node\'s output lands in <data>/runs/<run>/.',
    '',
    '# Where the catalog (catalog.duckdb) and the per-run Parquet tables live.',
    `data: ${quote(dataDir)}`,
    '',
    '# Folders to read. Globs are matched against paths relative to the folder, ignoring case.',
    '# Originals are never modified or deleted.',
    'sources:',
    '  - name: photos',
    `    path: ${quote(folder)}`,
    `    include: [${include.map(quote).join(', ')}]`,
    `    exclude: [${DEFAULT_EXCLUDE.map(quote).join(', ')}]   # hidden files and folders`,
    '    tags: []',
    '',
    '# The nodes: name -> type (defaults to the name), needs (upstream nodes), params.',
    'nodes:',
  ];
  for (const node of DEFAULT_PIPELINE) {
    lines.push(`  # ${node.comment}`);
    lines.push(`  ${node.name}:`);
    if (node.type !== node.name) lines.push(`    type: ${node.type}`);
    if (node.needs.length) lines.push(`    needs: [${node.needs.join(', ')}]`);
    const params = Object.entries(node.params);
    if (params.length) {
      lines.push('    params:');
      for (const [key, value] of params) lines.push(`      ${key}: ${JSON.stringify(value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
