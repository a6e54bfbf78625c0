// Every node type mnemo knows, by name. A pipeline spec refers to these.
import type { NodeType } from '../dag/node-type.ts';
import { assign } from './assign.ts';
import { cluster } from './cluster.ts';
import { events } from './events.ts';
import { exif } from './exif.ts';
import { hash } from './hash.ts';
import { importNode } from './import.ts';
import { images } from './images.ts';
import { nearDuplicates } from './near-duplicates.ts';
import { scan } from './scan.ts';
import { trips } from './trips.ts';
import { umap } from './umap.ts';
import { yandexImport } from './yandex-import.ts';

export const NODE_TYPES: ReadonlyMap<string, NodeType> = new Map<string, NodeType>(
  ([importNode, scan, hash, exif, images, nearDuplicates, cluster, assign, umap, events, trips, yandexImport] as NodeType[]).map((node) => [node.name, node]),
);

export { DEFAULT_PIPELINE } from './default-pipeline.ts';
