// What every route of the server shares: the workspace, the people service,
// the runs this server starts, the event hub and the background re-match.
import { People } from '../../app/people.ts';
import type { Workspace } from '../../app/workspace.ts';
import type { EventHub } from './event-hub.ts';
import type { Rematcher } from './rematch.ts';
import type { RunSupervisor } from './run-supervisor.ts';

export interface ServerContext {
  workspace: Workspace;
  hub: EventHub;
  runs: RunSupervisor;
  rematch: Rematcher;
  /** The people service, opened on first use (opening migrates the catalog). */
  people(): Promise<People>;
  /** A decision is in the journal: tell open pages and schedule the re-match. */
  decided(batchId: number): void;
}

export function peopleOpener(workspace: Workspace): () => Promise<People> {
  let opening: Promise<People> | null = null;
  return () => {
    opening ??= People.open(workspace).catch((error: unknown) => {
      opening = null; // e.g. the catalog was busy: try again next request
      throw error;
    });
    return opening;
  };
}
