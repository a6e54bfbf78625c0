// docs/ARCHITECTURE.md's table reference is generated from the code
// (scripts/architecture-doc.ts): these fail when the page or the durable
// table declarations fall behind the nodes or the migrations.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DURABLE_TABLES } from '../datasets/durable-tables.ts';
import { ARCHITECTURE_PATH, checkDurableDeclarations, generateArchitecturePage, migratedCatalogTables, renderTables } from '../scripts/architecture-doc.ts';
import { repoRoot } from './fixtures.ts';

test('docs/ARCHITECTURE.md has the table reference the code generates', async () => {
  const page = readFileSync(ARCHITECTURE_PATH, 'utf8');
  assert.ok(page === (await generateArchitecturePage(page)), 'docs/ARCHITECTURE.md is out of date with the node declarations or the migrations: run `npm run docs` and commit the page');
});

test('every durable table a migration makes is declared in datasets/durable-tables.ts, and only those', async () => {
  const tables = await migratedCatalogTables();
  assert.doesNotThrow(() => checkDurableDeclarations(tables.keys()));
  // A new migration table without a declaration stops the generator.
  const withNewTable = new Map([...tables, ['new_table', [{ name: 'id', type: 'INTEGER' }]]]);
  assert.throws(() => renderTables([], new Set(), withNewTable), /without a declaration in datasets\/durable-tables\.ts: new_table/);
  assert.throws(() => checkDurableDeclarations([...tables.keys()].filter((table) => table !== 'meta')), /not made by any migration: meta/);
});

test('each durable table names an owner file that exists', () => {
  for (const [table, declaration] of Object.entries(DURABLE_TABLES)) {
    assert.ok(existsSync(join(repoRoot, declaration.owner)), `${table}: owner ${declaration.owner} does not exist`);
    assert.ok(declaration.description.trim() && declaration.readBy.length > 0, `${table}: a description and its readers`);
  }
});
