// Which links of a cluster flow are drawn when there are more than fit: the
// largest changes first, each with the kept links of its two clusters, then
// the largest kept links.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pickLinks, type FlowLink } from '../reports/cluster-flow.ts';

const link = (a: number, b: number, faces: number, kind: FlowLink['kind']): FlowLink => ({ a, b, faces, kind });

test('a split and a merge come first with their kept parts; big unchanged clusters fill the rest', () => {
  const links = [
    link(0, 0, 500, 'kept'), // a big cluster, unchanged
    link(1, 1, 300, 'kept'),
    link(2, 2, 40, 'kept'), // cluster 2 split: 40 stayed, 30 went to B 9
    link(2, 9, 30, 'moved'),
    link(3, 3, 20, 'kept'), // A 3 and A 4 merged into B 3
    link(4, 3, 18, 'moved'),
    link(5, -1, 12, 'to_noise'),
    link(6, 6, 10, 'kept'),
  ];
  assert.deepEqual(pickLinks(links, 5).map((l) => `${l.a}>${l.b}`), ['2>2', '2>9', '3>3', '4>3', '5>-1']);
  // Room left: the largest kept links follow.
  assert.deepEqual(pickLinks(links, 7).map((l) => `${l.a}>${l.b}`), ['0>0', '1>1', '2>2', '2>9', '3>3', '4>3', '5>-1']);
  // A change that does not fit with its kept links is left out, not cut in half.
  assert.deepEqual(pickLinks(links, 1).map((l) => `${l.a}>${l.b}`), ['0>0']);
  assert.equal(pickLinks(links, 100).length, links.length);
});
