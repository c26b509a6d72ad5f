import path from 'node:path';
import { camelotCodeOf } from '../audio/music/camelot-relation.ts';
import { MixScorer } from '../ai/mix-scorer.ts';
import { suggestNext } from '../ai/suggest.ts';
import type { LibraryEntry } from '../ai/suggest.ts';
import { describeTrack } from '../ai/track-descriptor.ts';
import { AnalyzerPool } from '../audio/analysis/analyzer-pool.ts';
import { ingestFile } from '../ingest/ingest-file.ts';
import { tempoCandidates } from '../library/server-library.ts';
import { AnalysisStore } from '../db/analysis-store.ts';
import type { StoredAnalysis } from '../db/analysis-store.ts';
import { GuildStore } from '../db/guild-store.ts';
import { parseCommandArgs, UsageError } from './args.ts';
import { listAudioFiles } from './audio-files.ts';
import { plural } from '../util/plural.ts';
import { statIfAny } from '../util/stat-if-any.ts';
import { setting } from '../util/config.ts';

export const SUGGEST_USAGE = `minidj suggest <track> --library <dir|db> [--guild ID] [--n 5] [--json] [--db URL] [--model DIR]
  The best next tracks after <track> (a file, or a content hash in the store), with the score and the reasons.
  --library DIR  analyse (or reuse the stored analyses of) every audio file in DIR
  --library db   use every track analysed in the store
  --guild ID     with --library db: only what that server sees (its members' tracks and the shared library)`;

async function libraryFromDir(dir: string, pool: AnalyzerPool, store: AnalysisStore): Promise<LibraryEntry[]> {
  const entries: LibraryEntry[] = [];
  const files = await listAudioFiles(dir);
  if (files.length === 0) throw new UsageError(`"${dir}" holds no audio files`);
  for (const file of files) {
    try {
      const { contentHash, analysis } = await ingestFile(file, pool, store);
      entries.push({ id: contentHash, title: path.relative(dir, file), descriptor: describeTrack(analysis) });
    } catch (err) {
      process.stderr.write(`minidj: skipping ${file}: ${(err as Error).message}\n`);
    }
  }
  return entries;
}

/** Every stored track, or with a guild what that server sees: the tracks nearest in tempo to `from`, from the index. */
async function libraryFromStore(
  store: AnalysisStore,
  guild: string | undefined,
  db: string | undefined,
  from: LibraryEntry,
): Promise<LibraryEntry[]> {
  const records: StoredAnalysis[] = [];
  if (guild) {
    // Opening the guild store imports the keyv-era libraries into the index, the first time.
    const guilds = await GuildStore.open(db);
    try {
      records.push(
        ...(await tempoCandidates(
          store,
          guild,
          {
            bpm: from.descriptor.bpm,
            camelot: camelotCodeOf(from.descriptor.camelotNumber, from.descriptor.camelotLetter),
          },
          new Set([from.id]),
        )),
      );
    } finally {
      await guilds.close();
    }
  } else {
    for await (const r of store.entries()) records.push(r);
  }
  return records
    .map((r) => ({ id: r.hash, title: r.sourceName, descriptor: describeTrack(r.analysis) }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

async function resolveTrack(track: string, pool: AnalyzerPool, store: AnalysisStore): Promise<LibraryEntry> {
  const isFile = (await statIfAny(track))?.isFile() ?? false;
  if (isFile) {
    const { contentHash, analysis } = await ingestFile(track, pool, store);
    return { id: contentHash, title: path.basename(track), descriptor: describeTrack(analysis) };
  }
  if (/^[0-9a-f]{8,64}$/i.test(track)) {
    for await (const r of store.entries()) {
      if (r.hash.startsWith(track.toLowerCase()))
        return { id: r.hash, title: r.sourceName, descriptor: describeTrack(r.analysis) };
    }
  }
  throw new UsageError(`"${track}" is neither an audio file nor the content hash of a track in the store`);
}

export async function runSuggest(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    library: { type: 'string' },
    n: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
    db: { type: 'string' },
    model: { type: 'string' },
    guild: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError(`give exactly one track\n${SUGGEST_USAGE}`);
  if (!values.library) throw new UsageError(`--library is required\n${SUGGEST_USAGE}`);
  if (values.guild && values.library !== 'db') throw new UsageError('--guild goes with --library db');
  const count = Number(values.n);
  if (!Number.isInteger(count) || count < 1) throw new UsageError('--n takes a whole number ≥ 1');
  const scorer = await MixScorer.load(values.model ? path.resolve(values.model) : undefined);
  const store = await AnalysisStore.open(values.db ?? setting('MINIDJ_DB'));
  const pool = new AnalyzerPool();
  try {
    const from = await resolveTrack(positionals[0]!, pool, store);
    let library: LibraryEntry[];
    if (values.library === 'db')
      library = await libraryFromStore(store, values.guild, values.db ?? setting('MINIDJ_DB'), from);
    else if ((await statIfAny(values.library))?.isDirectory())
      library = await libraryFromDir(values.library, pool, store);
    else throw new UsageError(`--library must be a folder or "db", got "${values.library}"`);
    const suggestions = await suggestNext(scorer, from, library, count);
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ track: { id: from.id, title: from.title, bpm: from.descriptor.bpm }, librarySize: library.length, suggestions })}\n`,
      );
    } else {
      process.stdout.write(
        `After ${from.title} (${from.descriptor.bpm.toFixed(1)} BPM), from ${plural(library.length, 'track')}:\n`,
      );
      suggestions.forEach((s, i) =>
        process.stdout.write(`${i + 1}. ${s.title} — score ${s.score.toFixed(2)}: ${s.reasons.join(', ')}\n`),
      );
    }
  } finally {
    await pool.close();
    await store.close();
    await scorer.close();
  }
  return 0;
}
