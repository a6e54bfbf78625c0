// Styles every view shares: buttons, inputs, headings. Colours come from the
// theme's custom properties (index.html).
import { css } from 'lit';

export const controls = css`
  :host {
    font-family: var(--mn-font);
    color: var(--mn-text);
  }
  h1 {
    font-size: 1.35rem;
    font-weight: 600;
    margin: 0 0 0.25rem;
  }
  h2 {
    font-size: 1.05rem;
    font-weight: 600;
    margin: 1.5rem 0 0.5rem;
  }
  .muted {
    color: var(--mn-muted);
  }
  button,
  select,
  input {
    font: inherit;
    font-size: 0.9rem;
    color: inherit;
  }
  button {
    background: var(--mn-surface);
    border: 1px solid var(--mn-border);
    border-radius: 6px;
    padding: 0.3rem 0.75rem;
    cursor: pointer;
  }
  button:hover:not(:disabled) {
    border-color: var(--mn-accent);
  }
  button.primary {
    background: var(--mn-accent);
    border-color: var(--mn-accent);
    color: white;
  }
  button.link {
    border: none;
    background: none;
    padding: 0.1rem 0.3rem;
    color: var(--mn-accent);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  select,
  input {
    background: var(--mn-surface);
    border: 1px solid var(--mn-border);
    border-radius: 6px;
    padding: 0.28rem 0.5rem;
  }
  input:focus,
  select:focus,
  button:focus-visible {
    outline: 2px solid var(--mn-accent-soft);
    border-color: var(--mn-accent);
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5rem;
    margin: 0.75rem 0;
  }
  .spacer {
    flex: 1;
  }
  .error {
    color: var(--mn-danger);
  }
`;

/** The host of a whole view (People, Clusters, a person, Runs): a readable column. */
export const viewHost = css`
  :host {
    display: block;
    max-width: 72rem;
  }
`;

/** The host of a card (a person, a cluster): a raised surface; each card sets its own padding. */
export const cardHost = css`
  :host {
    display: block;
    background: var(--mn-surface);
    border: 1px solid var(--mn-border);
    border-radius: var(--mn-radius);
    box-shadow: var(--mn-shadow);
  }
`;

/** Tables of figures (compare, sweeps): numbers right-aligned in tabular digits, the first column a label. */
export const numberTable = css`
  table {
    border-collapse: collapse;
    background: var(--mn-surface);
    border: 1px solid var(--mn-border);
    border-radius: var(--mn-radius);
    font-size: 0.88rem;
  }
  th,
  td {
    text-align: right;
    padding: 0.35rem 0.7rem;
    border-bottom: 1px solid var(--mn-border);
    font-variant-numeric: tabular-nums;
  }
  th:first-child,
  td:first-child {
    text-align: left;
  }
  th {
    font-weight: 500;
    color: var(--mn-muted);
  }
`;
