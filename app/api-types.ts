// The shapes the application layer hands out and the workbench server sends
// as JSON: one declaration for app/, the server and the web client
// (workbench/app/api.ts imports these types). Types only, no imports, so the
// browser code can read this file without Node's.

/** A run in the list of runs (`GET /api/runs`). */
export interface RunListItem {
  runId: number;
  status: string;
  started: string;
  seconds: number | null;
  computed: number;
  reused: number;
  errors: number;
  message: string | null;
}

/** A page of rows and how many there are in all. */
export interface Page<T> {
  total: number;
  offset: number;
  limit: number;
  items: T[];
}

export interface DirectoryEntry {
  personId: number;
  name: string;
  notes: string | null;
  hidden: boolean;
  mergedInto: number | null;
  /** Faces the latest run puts on this person (manual, cluster and kNN). */
  faces: number;
  /** Faces a human put on this person (the journal). */
  manualFaces: number;
  /** The face to show for the person: a manual one first, then the best quality. */
  coverFaceId: string | null;
}

export interface FaceRow {
  faceId: string;
  fileId: string;
  source: string;
  path: string;
  box: [number, number, number, number];
  quality: number;
  detScore: number;
  personId: number | null;
  method: string | null;
  confidence: number | null;
  stranger: boolean | null;
  clusterId: number | null;
}

export interface ClusterEntry {
  clusterId: number;
  faces: number;
  /** The person most of its faces are assigned to, if any, and how many. */
  personId: number | null;
  personFaces: number;
  coverFaceId: string;
}

/**
 * A run's UMAP as typed columns, one entry per face; x and y in [-1, 1].
 * What `GET /api/map` sends as Arrow IPC (the web app's map) and the
 * application layer keeps per run.
 */
export interface FaceMapColumns {
  runId: number;
  faceIds: string[];
  x: Float32Array;
  y: Float32Array;
  /** -1: noise or not clustered. */
  cluster: Int32Array;
  /** -1: on no person. */
  person: Int32Array;
  /** 1: a stranger. */
  stranger: Uint8Array;
  quality: Float32Array;
}

/** A run's UMAP as columns, one entry per face; x and y in [-1, 1] (the JSON form of FaceMapColumns). */
export interface FaceMap {
  runId: number;
  faceIds: string[];
  x: number[];
  y: number[];
  /** -1: noise or not clustered. */
  cluster: number[];
  person: (number | null)[];
  stranger: boolean[];
  quality: number[];
}
