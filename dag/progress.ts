// Progress and log output, passed in as an effect so tests stay silent.
// On a terminal: one live bar per running node; otherwise plain log lines.
import type { ProgressHandle } from './node-type.ts';

export interface Reporter {
  log(message: string): void;
  progress(node: string): ProgressHandle & { finish(summary: string): void };
}

export const silentReporter: Reporter = {
  log() {},
  progress: () => ({ total() {}, advance() {}, finish() {} }),
};

interface Bar {
  node: string;
  done: number;
  total: number;
  startedAt: number;
}

export function consoleReporter(stream: NodeJS.WriteStream = process.stderr): Reporter {
  const interactive = Boolean(stream.isTTY);
  const bars = new Map<string, Bar>();
  let drawn = 0;
  let lastDraw = 0;

  const line = (bar: Bar): string => {
    const seconds = Math.max((Date.now() - bar.startedAt) / 1000, 1e-3);
    const rate = bar.done / seconds;
    const eta = rate > 0 && bar.total > bar.done ? `ETA ${formatSeconds((bar.total - bar.done) / rate)}` : '';
    const fraction = bar.total > 0 ? Math.min(bar.done / bar.total, 1) : 0;
    const width = 24;
    const filled = Math.round(fraction * width);
    return `${bar.node.padEnd(12)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${bar.done}/${bar.total || '?'} ${rate.toFixed(rate < 10 ? 1 : 0)}/s ${eta}`;
  };
  const redraw = (force = false) => {
    if (!interactive || (!force && Date.now() - lastDraw < 100)) return;
    lastDraw = Date.now();
    if (drawn > 0) stream.write(`\x1b[${drawn}A`);
    for (const bar of bars.values()) stream.write(`\x1b[2K${line(bar)}\n`);
    drawn = bars.size;
  };
  const print = (message: string) => {
    if (interactive && drawn > 0) {
      stream.write(`\x1b[${drawn}A`);
      for (let i = 0; i < drawn; i++) stream.write('\x1b[2K\n');
      stream.write(`\x1b[${drawn}A`);
      drawn = 0;
    }
    stream.write(`${message}\n`);
    redraw(true);
  };

  return {
    log: print,
    progress(node) {
      const bar: Bar = { node, done: 0, total: 0, startedAt: Date.now() };
      bars.set(node, bar);
      let lastLogged = Date.now();
      return {
        total(count) {
          bar.total = count;
          redraw();
        },
        advance(count = 1) {
          bar.done += count;
          if (interactive) redraw();
          else if (Date.now() - lastLogged > 5000) {
            lastLogged = Date.now();
            print(line(bar));
          }
        },
        finish(summary) {
          bars.delete(node);
          print(summary);
        },
      };
    },
  };
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s` : `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
