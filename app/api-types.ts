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
  /** On this person by a decision newer than the run (shown at once; the background re-match confirms it). */
  pending?: boolean;
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

/** Another person that may be the same person (`GET /api/people/:id/similar`). */
export interface SimilarPerson {
  personId: number;
  name: string;
  /** Faces the latest run puts on them. */
  faces: number;
  /** What the list is ordered by: the mean of the two cosines below. */
  similarity: number;
  /** Cosine of the two persons' mean faces. */
  centroidSimilarity: number;
  /** Cosine of their closest pair of faces. */
  closestSimilarity: number;
  /** Their closest face pairs, closest first: a face of this person, one of the other, and their cosine. */
  evidence: { faceId: string; otherFaceId: string; similarity: number }[];
}

export interface SimilarPeople {
  personId: number;
  /** The run the faces come from; null before the first run. */
  runId: number | null;
  /** This person's faces in that run. */
  faces: number;
  /** Best first; hidden and merged persons are left out. */
  similar: SimilarPerson[];
}

/** A group of look-alike faces of one person. */
export interface Subcluster {
  /** Most typical face first. */
  faceIds: string[];
  /** Cosine of this group's mean face and the main group's; null for the main group. */
  similarityToMain: number | null;
  /** The other person this group looks most like (a "move to" suggestion); null for the main group. */
  nearestPerson: { personId: number; name: string; similarity: number } | null;
}

/** A person's faces in sub-clusters (`GET /api/people/:id/subclusters`): split suggestions. */
export interface PersonSubclusters {
  personId: number;
  runId: number | null;
  faces: number;
  /** The mean cosine distance under which faces stay one group. */
  threshold: number;
  /** True when a sample was clustered and the other faces joined the nearest group. */
  sampled: boolean;
  /** Largest first: the first is the main group, each other one a split suggestion. */
  subclusters: Subcluster[];
  /** Faces in no group (alone at this threshold), most like the main group first. */
  looseFaceIds: string[];
}

/** One item of the review queue (`GET /api/review/next`): a face, or a small group of one cluster, and who it may be. */
export interface ReviewItem {
  /** 'group': faces of one cluster whose suggestions all name the same person (at most 12). */
  kind: 'face' | 'group';
  /** Best first. */
  faceIds: string[];
  /** Per face, in the order of faceIds. */
  confidences: number[];
  /** Cosine similarity to the person (the lowest of a group's faces). */
  confidence: number;
  personId: number;
  personName: string;
  /** The faces' cluster in the latest run; null for noise. */
  clusterId: number | null;
  /** Up to 4 faces of the person most like the item's first face, manual ones first: for comparison. */
  personFaceIds: string[];
}

export interface ReviewQueue {
  /** The latest run the suggestions come from; null before the first run. */
  runId: number | null;
  /** Items in the whole queue (after skip). */
  total: number;
  /** Faces with a suggestion in the whole queue (after skip). */
  faces: number;
  items: ReviewItem[];
}

/** An unnamed cluster whose open faces all point to one person (`GET /api/review/clusters`). */
export interface ClusterSuggestion {
  clusterId: number;
  personId: number;
  personName: string;
  /** The lowest of its faces' confidences. */
  confidence: number;
  /** The faces the suggestion is for (the cluster's faces nobody decided). */
  faceIds: string[];
}

/** Two persons that may be one (`GET /api/people/merge-suggestions`): merge `personId` (the smaller) into `other`. */
export interface MergeSuggestion {
  personId: number;
  name: string;
  faces: number;
  /** The person to merge into, with how alike and the closest face pairs (`faceId` is `personId`'s). */
  other: SimilarPerson;
}

export interface MergeSuggestions {
  runId: number | null;
  /** Best first. */
  suggestions: MergeSuggestion[];
}
