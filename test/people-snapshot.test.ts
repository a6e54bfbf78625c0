// The people pages' snapshot (app/people-snapshot.ts) and the column reader
// under it (datasets/column-reader.ts): columns come back typed with NULLs
// kept, across many chunks; the directory and person pages of the synthetic
// store agree with SQL over the run; a write from another process (the real
// CLI) shows on the next call without restarting the service.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { People } from '../app/people.ts';
import { Workspace } from '../app/workspace.ts';
import { syntheticStore } from '../bench/lib/synthetic-store.ts';
import { readColumns } from '../datasets/column-reader.ts';
import { runCliAsync, tempDir } from './helpers.ts';

test('readColumns: typed numbers, NULLs as NaN (integers with NULLs as doubles), text and booleans, over several chunks', async () => {
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  const columns = await readColumns(connection, `
    SELECT i::INTEGER AS int, CASE WHEN i % 1000 = 7 THEN NULL ELSE i END::INTEGER AS int_nulls, i / 2 AS dbl,
      (i / 4)::FLOAT AS flt, CASE WHEN i % 3 = 0 THEN NULL ELSE 'f' || i END AS text, i % 2 = 0 AS even
    FROM range(5000) t(i) ORDER BY i`);
  assert.ok(columns.int instanceof Int32Array);
  assert.ok(columns.int_nulls instanceof Float64Array, 'an integer column with NULLs reads as doubles');
  assert.ok(columns.dbl instanceof Float64Array);
  assert.ok(columns.flt instanceof Float32Array);
  assert.equal(columns.int.length, 5000);
  for (const i of [0, 7, 2047, 2048, 4007, 4999]) {
    assert.equal(columns.int[i], i);
    assert.ok(i % 1000 === 7 ? Number.isNaN(columns.int_nulls[i]) : columns.int_nulls[i] === i, `int_nulls[${i}]`);
    assert.equal(columns.dbl[i], i / 2);
    assert.equal((columns.text as (string | null)[])[i], i % 3 === 0 ? null : `f${i}`);
    assert.equal((columns.even as boolean[])[i], i % 2 === 0);
  }
  const nulls = [...columns.int_nulls].filter(Number.isNaN).length;
  assert.equal(nulls, 5);
  assert.deepEqual(Object.keys(await readColumns(connection, 'SELECT 1 AS a WHERE false')), ['a']);
});

test('the snapshot answers like SQL over the run, and sees writes of another process', async () => {
  const workspace = await Workspace.open({ data: join(tempDir(), 'data') });
  const { persons } = await syntheticStore(workspace, 3000);
  const people = await People.open(workspace);

  const directory = await people.directory();
  assert.equal(directory.length, persons);
  const counts = new Map(
    (await workspace.store.read((catalog) => catalog.rows<{ person_id: number; n: number }>('SELECT person_id, count(*) AS n FROM latest.person_assignment WHERE person_id IS NOT NULL AND NOT stranger GROUP BY ALL')))
      .map((row) => [row.person_id, Number(row.n)]),
  );
  for (const entry of directory) assert.equal(entry.faces, counts.get(entry.personId) ?? 0, `faces of person ${entry.personId}`);
  assert.ok(directory.every((entry, i) => i === 0 || directory[i - 1]!.faces >= entry.faces), 'by face count, most first');
  assert.equal(await people.directory(), directory, 'an unchanged catalog gives the same answer from memory');

  // Person 1's page: the face a human named (in the journal, not in the synthetic run: a pending decision) first and
  // as the cover, then the rest by confidence.
  const first = await people.personFaces(1, { limit: 1000 });
  assert.equal(first.total, counts.get(1));
  const page = { total: first.total, items: [...first.items] };
  while (page.items.length < page.total) page.items.push(...(await people.personFaces(1, { offset: page.items.length, limit: 1000 })).items);
  assert.equal(new Set(page.items.map((face) => face.faceId)).size, page.total, 'the pages hold every face once');
  const named = (await people.show(1)).faces;
  assert.equal(named.length, 1);
  assert.deepEqual([page.items[0]!.faceId, page.items[0]!.method, page.items[0]!.pending], [named[0], 'manual', true]);
  assert.equal(directory.find((entry) => entry.personId === 1)!.coverFaceId, named[0]);
  const confidences = page.items.slice(1).map((face) => face.confidence!);
  assert.ok(confidences.every((c, i) => i === 0 || confidences[i - 1]! >= c), 'then by confidence');
  const [sqlFace] = await workspace.store.read((catalog) =>
    catalog.rows<{ file_id: string; path: string; x1: number }>('SELECT f.file_id, fi.path, f.x1 FROM latest.faces f JOIN latest.files fi USING (file_id) WHERE face_id = $1', [page.items[3]!.faceId]),
  );
  assert.deepEqual([page.items[3]!.fileId, page.items[3]!.path, page.items[3]!.box[0]], [sqlFace!.file_id, sqlFace!.path, sqlFace!.x1]);
  const photos = await people.personPhotos(1, { limit: 1000 });
  assert.equal(photos.total, new Set(page.items.map((face) => face.fileId)).size);
  const onFirstPhoto = page.items.filter((face) => face.fileId === photos.items[0]!.fileId).length;
  assert.equal(photos.items[0]!.faces, onFirstPhoto);

  // The CLI (another process) renames person 2 and adds a person: the next call shows both.
  const data = workspace.store.dataDir;
  assert.equal((await runCliAsync(['person', 'rename', '2', 'Бабушка', '--data', data], data)).code, 0);
  assert.equal((await runCliAsync(['person', 'create', 'New', 'Person', '--data', data], data)).code, 0);
  const after = await people.directory({ sort: 'name' });
  assert.equal(after.length, persons + 1);
  assert.equal(after.find((entry) => entry.personId === 2)!.name, 'Бабушка');
  assert.ok(after.some((entry) => entry.name === 'New Person' && entry.faces === 0));
  await assert.rejects(people.personFaces(persons + 5), /no person/);
});
