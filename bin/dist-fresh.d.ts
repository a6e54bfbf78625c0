/** null when dist/ is up to date with the sources, else why not (for messages). */
export function distStaleReason(): string | null;
