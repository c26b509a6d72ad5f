import { stat } from 'node:fs/promises';
import path from 'node:path';
import { AnalyzerPool } from '../audio/analysis/analyzer-pool.ts';
import { ingestFile } from '../ingest/ingest-file.ts';
import { LibraryQuota, quotaLimitsFromEnv } from '../library/library-quota.ts';
import { libraryPages, libraryTitle, withTrack } from '../library/server-library.ts';
import { SHARED_GUILD } from '../db/library-index.ts';
import { AnalysisStore } from '../db/analysis-store.ts';
import { GuildStore } from '../db/guild-store.ts';
import { TrackFiles } from '../db/track-files.ts';
import { parseCommandArgs, UsageError } from './args.ts';
import { collectAudio } from './audio-files.ts';
import { setting } from '../util/config.ts';

export const LIBRARY_USAGE = `minidj library add <files|dir…> (--shared | --guild ID) [--db URL] [--json]
minidj library list (--shared | --guild ID) [--db URL] [--json]
  A server sees the tracks its members added and the shared library, never another server's uploads.
  add     analyse the files, keep their audio (MINIDJ_TRACKS_DIR) and put them in the shared library (every
          server sees them) or in one server's library
  list    the tracks in the shared library, or everything one server sees`;

interface Scope {
  shared: boolean;
  guild?: string;
}

function scopeOf(values: { shared?: boolean; guild?: string }): Scope {
  if (Boolean(values.shared) === Boolean(values.guild))
    throw new UsageError(`give exactly one of --shared or --guild ID\n${LIBRARY_USAGE}`);
  return values.guild ? { shared: false, guild: values.guild } : { shared: true };
}

async function add(
  files: string[],
  scope: Scope,
  analyses: AnalysisStore,
  guilds: GuildStore,
  json: boolean,
): Promise<number> {
  const kept = new TrackFiles();
  const pool = new AnalyzerPool();
  // The library's share of the disk quota, as the bot keeps it (the shared library has its own).
  const quota = new LibraryQuota({ files: kept, analyses, store: guilds, limits: quotaLimitsFromEnv() });
  const library = scope.shared ? SHARED_GUILD : scope.guild!;
  const keep = async (f: string, hash: string, sourceName: string) => {
    await quota.makeRoom({ hash, bytes: (await stat(f)).size, library });
    await kept.keep(f, hash, sourceName);
  };
  let failed = 0;
  try {
    for (const file of files) {
      try {
        const { contentHash } = await ingestFile(file, pool, analyses, keep);
        if (scope.shared) await analyses.setShared(contentHash, true);
        else await guilds.update(scope.guild!, (s) => ({ ...s, library: withTrack(s.library, contentHash) }));
        process.stdout.write(
          json
            ? `${JSON.stringify({ file, contentHash, library: scope.shared ? 'shared' : scope.guild })}\n`
            : `✓ ${file} → ${scope.shared ? 'the shared library' : `server ${scope.guild}`}\n`,
        );
      } catch (err) {
        failed++;
        const code = (err as { code?: unknown }).code;
        process.stdout.write(
          json
            ? `${JSON.stringify({ file, error: (err as Error).message, code: typeof code === 'string' ? code : 'error' })}\n`
            : `✗ ${file}: ${(err as Error).message}\n`,
        );
      }
    }
  } finally {
    await pool.close();
  }
  return failed > 0 ? 1 : 0;
}

async function list(scope: Scope, analyses: AnalysisStore, json: boolean): Promise<number> {
  // Page by page from the index: a large library is never held whole.
  for await (const records of libraryPages(analyses, scope.guild ?? SHARED_GUILD, { sharedOnly: scope.shared })) {
    for (const r of records) {
      process.stdout.write(
        json
          ? `${JSON.stringify({ contentHash: r.hash, title: libraryTitle(r), bpm: r.analysis.bpm, camelot: r.analysis.camelot })}\n`
          : `${r.hash.slice(0, 12)}  ${libraryTitle(r)} (${r.analysis.bpm.toFixed(1)} BPM, ${r.analysis.camelot})\n`,
      );
    }
  }
  return 0;
}

export async function runLibrary(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  const { values, positionals } = parseCommandArgs(rest, {
    shared: { type: 'boolean', default: false },
    guild: { type: 'string' },
    db: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const scope = scopeOf(values);
  const db = values.db ?? setting('MINIDJ_DB');
  // The guild store first: opening it imports the keyv-era libraries into the index, the first time.
  const guilds = await GuildStore.open(db);
  const analyses = await AnalysisStore.open(db);
  try {
    if (action === 'add') {
      if (positionals.length === 0) throw new UsageError(`no files given\n${LIBRARY_USAGE}`);
      const files = (await collectAudio(positionals)).map((f) => path.resolve(f));
      return await add(files, scope, analyses, guilds, values.json);
    }
    if (action === 'list') return await list(scope, analyses, values.json);
    throw new UsageError(`unknown library action "${action ?? ''}"\n${LIBRARY_USAGE}`);
  } finally {
    await analyses.close();
    await guilds.close();
  }
}
