// Applying a <target-picker> choice to faces, with the toast text that says
// what happened. Shared by the person page, the face map and the clusters.
import { api, type Person } from './api.ts';
import type { TargetChoice } from './target-picker.ts';

const faces = (n: number): string => `${n} ${n === 1 ? 'face' : 'faces'}`;

/** Saves the decision and returns what to tell the user. */
export async function applyChoice(faceIds: string[], choice: TargetChoice, people: Person[]): Promise<{ message: string; batchId: number }> {
  if ('newName' in choice) {
    const { batchId } = await api.split(faceIds, choice.newName);
    return { message: `Moved ${faces(faceIds.length)} to ${choice.newName} (new)`, batchId };
  }
  const { batchId } = await api.assign(faceIds, choice.target);
  if (choice.target === 'stranger') return { message: `Marked ${faces(faceIds.length)} as strangers`, batchId };
  if (choice.target === 'not_a_face') return { message: `Marked ${faces(faceIds.length)} as not a face`, batchId };
  const person = people.find((p) => String(p.personId) === choice.target);
  return { message: `Moved ${faces(faceIds.length)} to ${person?.name ?? `person ${choice.target}`}`, batchId };
}
