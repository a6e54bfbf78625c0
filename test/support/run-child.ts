// Runs `mnemo run` in-process for a config file, printing node summaries:
// a child process for tests that kill a run at a chosen moment.
import { runPipeline } from '../../dag/executor.ts';
import { linePrinter } from '../../dag/progress.ts';
import { loadSpecFile } from '../../dag/spec.ts';
import { Store } from '../../datasets/store.ts';
import { NODE_TYPES } from '../../nodes/index.ts';

const spec = loadSpecFile(process.argv[2]!, NODE_TYPES);
await runPipeline(spec, NODE_TYPES, new Store(spec.dataDir), {
  onEvent: linePrinter((line) => process.stdout.write(`${line}\n`)),
});
