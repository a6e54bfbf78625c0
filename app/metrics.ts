// How good a run's people are against gold (or manual labels).
import { runMetrics, type RunMetrics } from '../reports/metrics.ts';
import { translated } from './errors.ts';
import { resolveRun, type RunRef } from './runs.ts';
import type { Workspace } from './workspace.ts';

export async function metricsOf(workspace: Workspace, ref: RunRef = 'latest'): Promise<RunMetrics> {
  const runId = await resolveRun(workspace, ref);
  return translated(() => runMetrics(workspace.store, runId));
}
