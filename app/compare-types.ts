// The shapes of the Compare view that app/compare-view.ts, the server and the
// web client share (type imports only: the web app type-checks this file too).
import type { ClusterFlow } from '../reports/cluster-flow.ts';
import type { CompareReport } from '../reports/report-schema.ts';
import type { SweepRow } from './sweeps.ts';

export type { ClusterFlow, CompareReport };
export type { FlowLink } from '../reports/cluster-flow.ts';

/** Two runs compared: the report of `mnemo report compare`, and its cluster correspondence as flow links. */
export interface CompareView {
  report: CompareReport;
  /** null when a run has no clusters table. */
  flow: ClusterFlow | null;
}

/** One sweep in the list: runs tagged with one sweep id by `mnemo sweep`. */
export interface SweepSummary {
  sweepId: string;
  startedAt: string;
  /** The swept parameters (node.param). */
  keys: string[];
  settings: number;
  succeeded: number;
}

/** A sweep's setting as `mnemo sweep` scored it (app/sweeps.ts), with its values per swept parameter. */
export interface SweepSettingRow extends SweepRow {
  /** The setting's value per swept parameter. */
  values: Record<string, unknown>;
}

export interface SweepDetail extends SweepSummary {
  /** What F1 is measured against: gold, manual decisions, or nothing. */
  reference: string;
  rows: SweepSettingRow[];
  /** Highest F1, ties to the fewer strangers (app/sweeps.ts bestSetting); null when none could be scored. */
  best: SweepSettingRow | null;
  /** The pipeline spec an adopted setting is written to. */
  configPath: string;
  /** What that spec has now for each swept parameter (null: not set, the node's default applies). */
  current: Record<string, unknown>;
}

export interface AdoptResult {
  configPath: string;
  setting: string;
  /** Each parameter written, with the value the file had (null: not set). */
  changes: { key: string; from: unknown; to: unknown }[];
  /** True when the file already had every value: nothing was written. */
  unchanged: boolean;
}
