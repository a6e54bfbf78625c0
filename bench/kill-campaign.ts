// Random-kill campaign: KILLS runs and decisions SIGKILLed at random moments
// (seeded), each checked for a consistent store, an intact journal and a
// resumable run.
//   npm run bench -- kill-campaign [KILLS] [SEED]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { killCampaign } from '../test/support/kill-campaign.ts';

const kills = Number(process.argv[2] ?? 40);
const seed = Number(process.argv[3] ?? 1);
const dir = mkdtempSync(join(os.tmpdir(), 'mnemo-kill-campaign-'));
console.log(`kill campaign: ${kills} kills, seed ${seed}, ${os.cpus().length} CPU cores, node ${process.version}`);
const started = performance.now();
try {
  const result = await killCampaign({ dir, kills, seed, log: (line) => console.log(`  ${line}`) });
  console.log(`\n${result.held} of ${result.attempts} held (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  for (const failure of result.failures) console.log(`FAILED ${failure}`);
  process.exitCode = result.failures.length ? 1 : 0;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
