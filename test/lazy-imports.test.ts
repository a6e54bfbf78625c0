// Planning a run imports every node type; the heavy libraries only the work
// itself needs (sharp, ONNX Runtime, exifr, the country polygons: about half a
// second of loading together) must not come with them, or every `mnemo run`
// where nothing changed pays for them again.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { repoRoot } from './fixtures.ts';

const HEAVY = /\/node_modules\/(sharp|onnxruntime-node|exifr|@rapideditor\/country-coder)\//;

test('importing every node type and the run command loads none of sharp, ONNX Runtime, exifr or the country polygons', () => {
  const hook = `export async function resolve(specifier, context, next) {
    const resolved = await next(specifier, context);
    if (${HEAVY}.test(resolved.url)) process.stdout.write('LOADED ' + specifier + ' from ' + context.parentURL + '\\n');
    return resolved;
  }`;
  const script = `
    import { register } from 'node:module';
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
    await import('./nodes/index.ts');
    await import('./app/pipeline.ts');
    process.stdout.write('IMPORTED\\n');
    // The check can fail: a static import is seen.
    await import('./imaging/image.ts').then((m) => m.decodePhoto(new Uint8Array([1, 2, 3]))).catch(() => undefined);
  `;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const [beforeWork, afterWork] = result.stdout.split('IMPORTED\n') as [string, string];
  assert.deepEqual(beforeWork.split('\n').filter((line) => line.startsWith('LOADED')), []);
  assert.match(afterWork, /LOADED sharp/, 'the probe sees sharp once a photo is decoded');
});
