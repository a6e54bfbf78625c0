// The default pipeline as data: importing it loads no node type (so `mnemo init` starts fast).

/** The default pipeline that `mnemo init` writes; every node type that is not opt-in joins it. */
export const DEFAULT_PIPELINE: { name: string; type: string; needs: string[]; params: Record<string, unknown>; comment: string }[] = [
  { name: 'scan', type: 'scan', needs: [], params: {}, comment: 'list the files of every source (no contents read)' },
  { name: 'hash', type: 'hash', needs: ['scan'], params: { concurrency: 4 }, comment: 'SHA-256 per file, cached by (path, size, mtime); exact duplicates' },
  { name: 'exif', type: 'exif', needs: ['scan', 'hash'], params: {}, comment: 'capture time, GPS, camera, orientation per photo, read once per content' },
  {
    name: 'images',
    type: 'images',
    needs: ['scan', 'hash'],
    params: { maxSide: 2048 },
    comment: 'decode each photo once: perceptual hashes, thumbnails, faces (faces.scoreThreshold, faces.qualityThreshold), pets',
  },
  { name: 'cluster', type: 'cluster', needs: [], params: { method: 'average', threshold: 0.6 }, comment: 'group faces by person on a cached kNN graph; photo and human decisions are constraints (method: average | dbscan)' },
  { name: 'assign', type: 'assign', needs: [], params: {}, comment: 'person per face: manual decisions, then whole clusters, then votes of the nearest labelled faces (knnThreshold)' },
  { name: 'umap', type: 'umap', needs: [], params: { seed: 42 }, comment: '2-D map of the faces for browsing (same seed, same map)' },
  { name: 'near_duplicates', type: 'near_duplicates', needs: [], params: {}, comment: 'resized / re-compressed / letterboxed copies by dHash and pHash distance, with a keeper per group' },
  { name: 'events', type: 'events', needs: [], params: {}, comment: 'photos in capture order split into events, named offline (GeoNames); language: ru, home: {lat, lon}, homeTimeZone: Europe/Moscow' },
  { name: 'trips', type: 'trips', needs: [], params: {}, comment: 'runs of days away from home (awayKm 50, maxGapHours 48, minPhotos 5) with places, countries and a cover (mnemo trips)' },
];
