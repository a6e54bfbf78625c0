// The pipeline the people tests run over the face fixtures: faces only
// (no thumbnails or pets, to stay fast), then cluster, assign and umap.
export function fixturePeopleYaml(fixtures: string): string {
  return `data: ./data
sources:
  - name: photos
    path: ${JSON.stringify(fixtures)}
nodes:
  scan:
  hash:
  images:
    params: {thumbnails: {enabled: false}, pets: {enabled: false}}
  cluster:
  assign:
  umap:
`;
}
