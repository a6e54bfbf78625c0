// sharp (libvips) takes about 200 ms to load. `mnemo run` loads every node
// type to plan a run, and a run where nothing changed decodes no photo, so the
// modules that use sharp load it on their first call instead of at import.
import type Sharp from 'sharp';

let loading: Promise<typeof Sharp> | null = null;

/** The sharp function, loaded once on first use. */
export function loadSharp(): Promise<typeof Sharp> {
  return (loading ??= import('sharp').then((module) => module.default));
}
