import type { FuzzCase } from './fuzz-corpus.ts';
import { runMinidj } from './hostile-media.ts';

export interface FuzzOutcome {
  mutation: string;
  file: string;
  /** 'ok' for an analysis, else the error line's code; 'missing' when the file got no line. */
  code: string;
  error?: string;
}

export interface FuzzRun {
  outcomes: FuzzOutcome[];
  /** Exit status of each `minidj analyze` (0 or 1 expected; null when killed). */
  statuses: (number | null)[];
  signals: (NodeJS.Signals | null)[];
  /** Lines that were not JSON, or JSON of neither shape. */
  badLines: string[];
  seconds: number;
}

/** Runs the corpus through `minidj analyze --json --no-store` in `batches` invocations, each killed after `timeoutMs`. */
export async function runFuzz(
  cases: FuzzCase[],
  batches: number,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = {},
): Promise<FuzzRun> {
  const started = Date.now();
  const size = Math.ceil(cases.length / batches);
  const run: FuzzRun = { outcomes: [], statuses: [], signals: [], badLines: [], seconds: 0 };
  for (let at = 0; at < cases.length; at += size) {
    const batch = cases.slice(at, at + size);
    const result = await runMinidj(
      ['analyze', ...batch.map((c) => c.file), '--json', '--no-store'],
      { MINIDJ_DECODE_TIMEOUT_SEC: '10', ...env },
      timeoutMs,
    );
    run.statuses.push(result.status);
    run.signals.push(result.signal);
    const byFile = new Map<string, Record<string, unknown>>();
    for (const line of result.stdout.split('\n').filter(Boolean)) {
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        const shapeOk =
          typeof parsed.file === 'string' &&
          (typeof parsed.bpm === 'number' || (typeof parsed.error === 'string' && typeof parsed.code === 'string'));
        if (shapeOk) byFile.set(parsed.file as string, parsed);
        else run.badLines.push(line);
      } catch {
        run.badLines.push(line);
      }
    }
    for (const c of batch) {
      const line = byFile.get(c.file);
      if (!line) run.outcomes.push({ ...c, code: 'missing' });
      else if (typeof line.error === 'string')
        run.outcomes.push({ ...c, code: line.code as string, error: line.error });
      else run.outcomes.push({ ...c, code: 'ok' });
    }
  }
  run.seconds = (Date.now() - started) / 1000;
  return run;
}

export function countByCode(outcomes: FuzzOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o.code] = (counts[o.code] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]));
}
