// The notebooks `mnemo demo` puts in notebooks/: small, useful questions of
// any archive, each a starting point to copy and change.

const FACES_PER_RUN = `---
title: Faces per run
params:
  run: { type: run, default: latest, label: Run }
---

# Faces per run

How many faces each run found, named or clustered, and left as strangers
(from what the \`assign\` node recorded).

\`\`\`sql id=faces_per_run
SELECT run_id,
  (metadata->>'faces')::INTEGER AS faces,
  (metadata->>'assigned')::INTEGER AS with_person,
  (metadata->>'strangers')::INTEGER AS strangers
FROM run_nodes
WHERE node = 'assign' AND status IN ('done', 'reused')
ORDER BY run_id
\`\`\`

\`\`\`chart
{ "cell": "faces_per_run", "mark": "barY", "x": "run_id", "y": "faces", "caption": "Faces per run" }
\`\`\`

## In the chosen run

\`\`\`sql id=faces_in_run
SELECT count(*) FILTER (WHERE NOT rejected) AS faces,
  count(*) FILTER (WHERE rejected) AS rejected,
  count(DISTINCT file_id) AS photos_with_faces
FROM run.faces
\`\`\`
`;

const STRANGERS_SHARE = `---
title: Strangers share across runs
---

# Strangers share across runs

The share of faces that belong to nobody known (a stranger), run by run:
it should fall as people are named.

\`\`\`sql id=strangers
SELECT run_id, (metadata->>'strangersShare')::DOUBLE AS strangers_share,
  (metadata->>'faces')::INTEGER AS faces
FROM run_nodes
WHERE node = 'assign' AND status IN ('done', 'reused')
ORDER BY run_id
\`\`\`

\`\`\`chart
{ "cell": "strangers", "mark": "lineY", "x": "run_id", "y": "strangers_share", "caption": "Share of faces that are strangers" }
\`\`\`
`;

const CLUSTER_SIZES = `---
title: Cluster sizes
params:
  run: { type: run, default: latest, label: Run }
  min_faces: { type: number, default: 1, label: Smallest cluster }
---

# Cluster sizes

How many faces each cluster of the run holds, and how many clusters there
are of each size.

\`\`\`sql id=cluster_faces
SELECT cluster_id, count(*) AS faces
FROM run.clusters
WHERE cluster_id >= 0
GROUP BY cluster_id
HAVING count(*) >= $min_faces
ORDER BY faces DESC
\`\`\`

\`\`\`sql id=sizes
SELECT faces AS size, count(*) AS clusters
FROM cluster_faces
GROUP BY faces
ORDER BY size
\`\`\`

\`\`\`chart
{ "cell": "sizes", "mark": "barY", "x": "size", "y": "clusters", "xLabel": "faces in the cluster" }
\`\`\`
`;

const MONTH = `strftime(date_trunc('month', coalesce(e.taken_at_utc, try_strptime(e.taken_at, ['%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M:%S', '%Y:%m:%d %H:%M:%S']), f.mtime)), '%Y-%m')`;

const PHOTOS_PER_MONTH = `---
title: Photos per month
params:
  run: { type: run, default: latest, label: Run }
---

# Photos per month

By capture time from EXIF, else the file's modification time.

\`\`\`sql id=photos_per_month
SELECT ${MONTH} AS month, count(*) AS photos
FROM run.files f LEFT JOIN run.exif e USING (file_id)
WHERE f.status <> 'deleted'
GROUP BY month
ORDER BY month
\`\`\`

\`\`\`chart
{ "cell": "photos_per_month", "mark": "barY", "x": "month", "y": "photos" }
\`\`\`
`;

const CATS_PER_MONTH = `---
title: Cats per month
params:
  run: { type: run, default: latest, label: Run }
  min_score: { type: number, default: 0.5, label: Lowest detector score }
---

# Cats per month

Photos with a cat in them, by month (the detector's label; close-ups it is
unsure of say "pet").

\`\`\`sql id=cats_per_month
SELECT ${MONTH} AS month, count(DISTINCT p.file_id) AS photos_with_cats
FROM run.pets p JOIN run.files f USING (file_id) LEFT JOIN run.exif e USING (file_id)
WHERE p.label = 'cat' AND p.score >= $min_score
GROUP BY month
ORDER BY month
\`\`\`

\`\`\`chart
{ "cell": "cats_per_month", "mark": "barY", "x": "month", "y": "photos_with_cats" }
\`\`\`
`;

export const DEMO_NOTEBOOKS: Record<string, string> = {
  'faces-per-run.md': FACES_PER_RUN,
  'strangers-share.md': STRANGERS_SHARE,
  'cluster-sizes.md': CLUSTER_SIZES,
  'photos-per-month.md': PHOTOS_PER_MONTH,
  'cats-per-month.md': CATS_PER_MONTH,
};
