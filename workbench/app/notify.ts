// How a view tells the shell something happened: a bubbling, composed
// `mnemo-notify` event that <mnemo-app> shows as a toast (with "Undo" when the
// message reports a decision) and answers by refreshing the views.

export interface NotifyDetail {
  message: string;
  /** The message reports a decision: offer Undo, and refresh the views. */
  undoable?: boolean;
  /** The decision's journal batch: what Undo reverts (default: the newest batch). */
  batchId?: number | null;
  error?: boolean;
}

declare global {
  interface HTMLElementEventMap {
    'mnemo-notify': CustomEvent<NotifyDetail>;
  }
}

export function notify(from: EventTarget, detail: NotifyDetail): void {
  from.dispatchEvent(new CustomEvent('mnemo-notify', { detail, bubbles: true, composed: true }));
}
