// CLI commands for people: the person directory and assignment journal
// (`mnemo person ...`), gold labels (`mnemo gold import ...`), run metrics
// (`mnemo metrics`) and parameter sweeps (`mnemo sweep`). Parsing and
// printing only: app/people.ts, app/metrics.ts and app/sweeps.ts do the work.
import { common, out, plural, UsageError, wholeNumber, workspaceOf, type Command } from './command.ts';
import { formatSweep, formatTable, toJson } from './format.ts';

const PERSON_USAGE = `mnemo person list [--all] [--json]
mnemo person create NAME [--notes TEXT]
mnemo person rename ID NAME
mnemo person hide ID | unhide ID
mnemo person merge FROM INTO
mnemo person assign FACE_ID [FACE_ID ...] TARGET   (TARGET: person id, stranger, not_a_face, not:<person id>)
mnemo person split FACE_ID [FACE_ID ...] --name NAME   (the faces become a new person, in one undoable batch)
mnemo person undo [BATCH]   (default: the newest batch not undone; undoing an undo batch redoes it)
mnemo person show ID [--json]
mnemo person history [--json]
  [--config FILE | --data DIR] [--author NAME]`;

const batch = (result: { batchId: number; assignments: number; events: number }) => `batch ${result.batchId}: ${plural(result.assignments, 'assignment row')}, ${plural(result.events, 'person event')}`;

const person: Command = {
  summary: 'the person directory and the assignment journal (create, rename, hide, merge, assign, split, undo, show)',
  usage: PERSON_USAGE,
  options: { ...common, json: { type: 'boolean' }, all: { type: 'boolean' }, notes: { type: 'string' }, author: { type: 'string' }, name: { type: 'string' } },
  async run(values, [action, ...args]) {
    const { People } = await import('../app/people.ts');
    const people = await People.open(await workspaceOf(values), { author: typeof values.author === 'string' ? values.author : undefined });
    switch (action) {
      case 'list': {
        const rows = await people.list({ includeHidden: Boolean(values.all) });
        out(values.json ? toJson(rows as never) : formatTable(['person_id', 'name', 'manual_faces', 'hidden', 'merged_into', 'notes'], rows as never));
        return 0;
      }
      case 'create': {
        const result = await people.create(args.join(' '), { notes: values.notes as string | undefined });
        out(`person ${result.personId} '${args.join(' ').trim()}' (${batch(result)})`);
        return 0;
      }
      case 'rename':
        out(`renamed (${batch(await people.rename(wholeNumber(args[0], 'ID'), args.slice(1).join(' ')))})`);
        return 0;
      case 'hide':
        out(`hidden (${batch(await people.hide(wholeNumber(args[0], 'ID')))})`);
        return 0;
      case 'unhide':
        out(`shown (${batch(await people.unhide(wholeNumber(args[0], 'ID')))})`);
        return 0;
      case 'merge':
        out(`merged ${args[0]} into ${args[1]} (${batch(await people.merge(wholeNumber(args[0], 'FROM'), wholeNumber(args[1], 'INTO')))}); undo with: mnemo person undo`);
        return 0;
      case 'assign': {
        if (args.length < 2) throw new UsageError('usage: mnemo person assign FACE_ID [FACE_ID ...] TARGET');
        out(`assigned (${batch(await people.assign(args.slice(0, -1), args[args.length - 1]!))})`);
        return 0;
      }
      case 'split': {
        if (args.length < 1 || typeof values.name !== 'string') throw new UsageError('usage: mnemo person split FACE_ID [FACE_ID ...] --name NAME');
        const result = await people.split(args, values.name, { notes: values.notes as string | undefined });
        out(`person ${result.personId} '${values.name.trim()}' with ${plural(args.length, 'face')} (${batch(result)}); undo with: mnemo person undo`);
        return 0;
      }
      case 'undo': {
        const result = await people.undo(args[0] === undefined ? undefined : wholeNumber(args[0], 'BATCH'));
        out(`undid batch ${result.undid} (${batch(result)})`);
        return 0;
      }
      case 'show': {
        const id = wholeNumber(args[0], 'ID');
        const shown = await people.show(id);
        const methods = await people.methodsOf(id);
        if (values.json) {
          out(toJson([{ ...shown.person, faces: shown.faces, not_faces: shown.notFaces, events: shown.events, latest_run: methods }] as never));
          return 0;
        }
        const p = shown.person;
        out(`person ${p.person_id}: ${p.name}${p.hidden ? ' (hidden)' : ''}${p.merged_into !== null ? ` (merged into ${p.merged_into})` : ''}${p.notes ? `\nnotes: ${p.notes}` : ''}`);
        out(`manually assigned faces (${shown.faces.length}): ${shown.faces.join(' ') || '-'}`);
        if (shown.notFaces.length) out(`faces marked not this person (${shown.notFaces.length}): ${shown.notFaces.join(' ')}`);
        if (methods) out(`\nlatest run:\n${formatTable(['method', 'faces'], methods)}`);
        out(`\nhistory:\n${formatTable(['event_id', 'batch_id', 'event', 'old_value', 'new_value', 'other_person_id', 'undoes', 'author', 'created_at'], shown.events)}`);
        return 0;
      }
      case 'history': {
        const rows = await people.history(100);
        out(values.json ? toJson(rows as never) : formatTable(['batch_id', 'action', 'summary', 'author', 'created_at', 'undone'], rows as never));
        return 0;
      }
      default:
        throw new UsageError(`${action ? `unknown action '${action}'` : 'give an action'}\n${PERSON_USAGE}`);
    }
  },
};

const gold: Command = {
  summary: 'import verified labels: mnemo gold import faces|pets FILE.csv',
  usage: `mnemo gold import faces FILE.csv   (columns face_id, person_name, is_face, verified_at)
mnemo gold import pets FILE.csv    (columns pet_id, correct, label, verified_at)
  [--config FILE | --data DIR]`,
  options: { ...common },
  async run(values, [action, kind, file]) {
    if (action !== 'import' || (kind !== 'faces' && kind !== 'pets') || !file) throw new UsageError('usage: mnemo gold import faces|pets FILE.csv');
    const { importGold } = await import('../app/store-tools.ts');
    const result = await importGold(await workspaceOf(values), kind, file);
    out(`imported ${result.rows} ${kind} gold label${result.rows === 1 ? '' : 's'} from ${plural(result.total, 'CSV row')}`);
    return 0;
  },
};

const metrics: Command = {
  summary: 'how good a run is against gold (or manual labels): person and cluster F1 / ARI, strangers, detection',
  usage: 'mnemo metrics [RUN] [--json] [--config FILE | --data DIR]   (RUN: a run number; default latest, the newest successful full run)',
  options: { ...common, json: { type: 'boolean' } },
  async run(values, [runArg]) {
    const { parseRunRef } = await import('../app/runs.ts');
    const { metricsOf } = await import('../app/metrics.ts');
    const { formatMetrics } = await import('../reports/metrics.ts');
    const result = await metricsOf(await workspaceOf(values), parseRunRef(runArg));
    out(values.json ? toJson([result] as never) : formatMetrics(result));
    return 0;
  },
};

const sweep: Command = {
  summary: 'run cluster + assign once per parameter setting and compare them (F1, ARI, strangers)',
  usage: `mnemo sweep node.param=A:B:STEP node.param=A,B ... [--config FILE] [--json]
  e.g. mnemo sweep cluster.threshold=0.5:0.7:0.05 cluster.minQuality=0,2.75`,
  options: { ...common, json: { type: 'boolean' } },
  async run(values, args) {
    if (args.length === 0) throw new UsageError('give at least one node.param=values, e.g. cluster.threshold=0.5:0.7:0.05');
    const { parseSweepAxis, sweepWorkspace } = await import('../app/sweeps.ts');
    const axes = args.map(parseSweepAxis);
    const result = await sweepWorkspace(await workspaceOf(values), axes, {
      onSetting: (index, total, setting, row) => {
        if (!values.json) process.stderr.write(`[${index + 1}/${total}] ${setting}: run ${row.runId} ${row.status}\n`);
      },
    });
    out(values.json ? JSON.stringify(result, null, 2) : formatSweep(result));
    return result.rows.every((row) => row.status === 'succeeded') ? 0 : 1;
  },
};

export const peopleCommands: Record<string, Command> = { person, gold, metrics, sweep };
