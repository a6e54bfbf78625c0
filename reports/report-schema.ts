// The shape of a report, as JSON consumers see it (docs/report.schema.json
// describes the same; test/report-compare.test.ts and test/report-inputs.test.ts
// validate real reports against it).
// Numbers that could not be measured are null, never 0, and `missing` says why.
import type { Correspondence } from './correspondence.ts';
import type { McNemarResult } from './statistics.ts';

export const RUN_REPORT_FORMAT = 'mnemo.report.run/1';
export const COMPARE_REPORT_FORMAT = 'mnemo.report.compare/1';

export interface RunInfo {
  runId: number;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  /** Sweep tags (sweep id, setting) and the like. */
  tags: Record<string, unknown>;
  /** The archive: source name -> path. */
  sources: Record<string, string>;
}

export interface NodeTiming {
  node: string;
  type: string;
  status: string;
  reusedFrom: number | null;
  seconds: number | null;
  rows: number;
  errors: number;
}

/** One count of a run, e.g. images.faces; value null when the run has no such table. */
export interface Count {
  key: string;
  node: string | null;
  title: string;
  value: number | null;
}

export interface HistogramBin {
  x0: number;
  x1: number;
}

export interface Distribution {
  key: 'faces_per_photo' | 'cluster_sizes' | 'face_quality' | 'detection_scores' | 'pet_scores';
  title: string;
  /** Shared bin edges, so the runs' bars line up. */
  bins: HistogramBin[];
  /** One entry per run, in report order. */
  runs: { runId: number; counts: number[]; n: number; mean: number | null; median: number | null; min: number | null; max: number | null }[];
}

export interface Estimate {
  value: number | null;
  /** 95 % percentile bootstrap interval. */
  low: number | null;
  high: number | null;
}

export interface AccuracyMetric {
  name: string;
  /** One estimate per run, in report order. */
  runs: Estimate[];
  /** B minus A (compare reports only), with its paired interval. */
  difference: Estimate | null;
}

export interface AccuracySection {
  key: string;
  title: string;
  /** Gold items this section is judged on. */
  items: number;
  metrics: AccuracyMetric[];
  /** Share of items each run gets right (what the paired test counts). */
  itemsRight: number[];
  /** Exact McNemar test on the same items (compare reports only). */
  test: McNemarResult | null;
}

export interface Accuracy {
  goldFaces: number;
  goldPets: number;
  bootstrap: { replicates: number; seed: number; level: number };
  sections: AccuracySection[];
  /** What could not be measured, and how to fix it. */
  missing: string[];
}

export interface RunReport {
  format: typeof RUN_REPORT_FORMAT;
  run: RunInfo;
  nodes: NodeTiming[];
  counts: Count[];
  distributions: Distribution[];
  accuracy: Accuracy;
  missing: string[];
}

export interface CountChange {
  key: string;
  node: string | null;
  title: string;
  a: number | null;
  b: number | null;
  /** b - a; null when either is missing. */
  change: number | null;
}

export interface NodeChange {
  node: string;
  a: NodeTiming | null;
  b: NodeTiming | null;
}

export interface ParamChange {
  /** node.param (nested with dots); a whole node when it is in one run only. */
  key: string;
  a: unknown;
  b: unknown;
}

export interface PersonMove {
  from: number | null;
  fromName: string | null;
  to: number | null;
  toName: string | null;
  faces: number;
}

export interface ClusterComparison {
  /** Faces in both runs' clusters tables; faces in only one run are counted apart. */
  sharedFaces: number;
  onlyInA: number;
  onlyInB: number;
  ari: number | null;
  nmi: number | null;
  correspondence: Correspondence;
}

export interface PersonComparison {
  sharedFaces: number;
  /** Faces whose person changed (null = no person). */
  moved: number;
  /** The largest moves first, at most 50. */
  moves: PersonMove[];
  /** Up to 200 moved face ids, for a closer look. */
  sampleFaceIds: string[];
}

export interface CompareReport {
  format: typeof COMPARE_REPORT_FORMAT;
  a: RunInfo;
  b: RunInfo;
  counts: CountChange[];
  nodes: NodeChange[];
  params: ParamChange[];
  clusters: ClusterComparison | null;
  persons: PersonComparison | null;
  /** Both runs on shared bins. */
  distributions: Distribution[];
  accuracy: Accuracy;
  missing: string[];
}
