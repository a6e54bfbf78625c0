// A few random kills per CI run (seed varies by day, printed for replay);
// `npm run bench -- kill-campaign` runs many more.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tempDir } from './helpers.ts';
import { killCampaign } from './support/kill-campaign.ts';

test('random SIGKILLs of a run and of a decision never corrupt the store or the journal', async (t) => {
  const seed = Number(process.env.KILL_SEED ?? Math.floor(Date.now() / 86_400_000));
  const result = await killCampaign({ dir: tempDir(), kills: 4, seed, log: (line) => t.diagnostic(line) });
  assert.deepEqual(result.failures, [], `replay with KILL_SEED=${seed}`);
  assert.equal(result.held, 4);
});
