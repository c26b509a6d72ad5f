// Synthetic analyses straight into a store's keyv table, for the benchmarks that need thousands of tracks.
import { createHash } from 'node:crypto';
import { syntheticCrate } from '../src/ai/synthetic-crate.ts';
import type { TrackDescriptor } from '../src/ai/track-descriptor.ts';
import { ANALYZER_VERSION } from '../src/audio/analysis/analyzer-version.ts';
import type { TrackAnalysis } from '../src/audio/analysis/analysis-types.ts';
import type { StoredAnalysis } from '../src/db/analysis-store.ts';
import type { SqlClient } from '../src/db/sql-client.ts';
import { analysisFromDescriptor } from '../test/helpers/analysis-from-descriptor.ts';

export interface Seeded {
  hash: string;
  title: string;
  bpm: number;
  durationSec: number;
}

export const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

export interface SeedOptions {
  title: () => string;
  /** The analysis stored for a descriptor (default analysisFromDescriptor). */
  analysisOf?: (d: TrackDescriptor) => TrackAnalysis;
}

/**
 * `count` analyses of the synthetic crate (seeded), keyed `sha(prefix:i)`, into keyv's table in keyv's own format, in
 * transactions: keyv's set is one commit a record.
 */
export async function seedAnalyses(
  sql: SqlClient,
  prefix: string,
  count: number,
  seed: number,
  opts: SeedOptions,
): Promise<Seeded[]> {
  const out: Seeded[] = [];
  const CHUNK = 2000;
  const analysisOf = opts.analysisOf ?? analysisFromDescriptor;
  for (let start = 0; start < count; start += CHUNK) {
    const crate = syntheticCrate(Math.min(CHUNK, count - start), seed + start);
    const rows = crate.map((d, i) => {
      const hash = sha(`${prefix}:${start + i}`);
      const title = opts.title();
      const analysis = analysisOf(d);
      const record: StoredAnalysis = {
        hash,
        analyzerVersion: ANALYZER_VERSION,
        analyzedAt: new Date().toISOString(),
        sourceName: `${title}.mp3`,
        bytes: 8_000_000,
        analysis,
      };
      out.push({ hash, title, bpm: d.bpm, durationSec: analysis.durationSec });
      return [`analysis:${hash}`, JSON.stringify({ value: record })];
    });
    await sql.transaction(async (tx) => {
      for (let i = 0; i < rows.length; i += 250) {
        const part = rows.slice(i, i + 250);
        await tx.run(
          `INSERT INTO keyv (key, value) VALUES ${part.map(() => '(?, ?)').join(', ')} ON CONFLICT (key) DO NOTHING`,
          part.flat(),
        );
      }
    });
  }
  return out;
}
