/**
 * bench:scale — the library index at scale, on SQLite and on PostgreSQL.
 *
 * A guild with 100,000 tracks and 1,000 guilds of 100 (synthetic analyses: realistic TrackAnalysis objects made from
 * the synthetic crate's descriptors, not audio), each small guild with a saved live session. Measured through the
 * bot's own code: autocomplete (its handler), /suggest end to end (its handler, ONNX scoring included), the set's
 * next pick (store read + pickNextTrack), and the loading part of resuming 1,000 saved sessions at start (state,
 * saved track, resume point, the next pick), no audio played. The baseline is the code before the index
 * (loadLibrary: every analysis of the library loaded) on a 1,000-track guild, in the same run.
 *
 * BENCH_SCALE_BIG, BENCH_SCALE_GUILDS, BENCH_SCALE_BACKENDS (sqlite,postgres) change the run. BENCH_SCALE_ANALYSIS=1
 * adds analysis throughput through the Redis queue with 1 and 2 worker processes beside the in-process pool
 * (bench/scale-analysis.ts; BENCH_SCALE_BACKENDS= with it runs that part alone).
 * Writes out/bench-scale.json: {"sqlite": {...}, "postgres": {...}, "analysisQueue": {...}}.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AutocompleteInteraction, ChatInputCommandInteraction } from 'discord.js';
import { MixScorer } from '../src/ai/mix-scorer.ts';
import { suggestNext } from '../src/ai/suggest.ts';
import { describeTrack } from '../src/ai/track-descriptor.ts';
import { lazyScorer } from '../src/ai/lazy-scorer.ts';
import { liveTrackOf, pickNextTrack } from '../src/bot/playlist/next-track.ts';
import type { LiveTrack } from '../src/bot/playlist/next-track.ts';
import { resumePoint } from '../src/bot/live/resume-point.ts';
import { libraryTitle, toLibraryEntry } from '../src/library/server-library.ts';
import { suggestHandler } from '../src/bot/commands/suggest/suggest-handler.ts';
import { trackAutocomplete } from '../src/bot/commands/track-autocomplete.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import type { StoredAnalysis } from '../src/db/analysis-store.ts';
import { GuildStore } from '../src/db/guild-store.ts';
import type { GuildState } from '../src/db/guild-store.ts';
import { openPostgresClient, openSqliteClient } from '../src/db/sql-client.ts';
import { TrackFiles } from '../src/db/track-files.ts';
import { PROJECT_ROOT } from '../src/eval/shared-truth.ts';
import { createRng } from '../src/util/prng.ts';
import { hasPostgres, startPostgres } from '../test/helpers/db-servers.ts';
import { makeTempDir } from '../test/helpers/ffmpeg-fixtures.ts';
import { runAnalysisQueueBench } from './scale-analysis.ts';
import { seedAnalyses } from './seed-analyses.ts';
import type { Seeded } from './seed-analyses.ts';

const BIG = Number(process.env.BENCH_SCALE_BIG ?? 100_000);
const GUILDS = Number(process.env.BENCH_SCALE_GUILDS ?? 1000);
const PER_GUILD = 100;
const BASELINE = 1000;
const BACKENDS = (process.env.BENCH_SCALE_BACKENDS ?? 'sqlite,postgres').split(',');
const BIG_GUILD = '900000000000000000';
const BASE_GUILD = '800000000000000000';
const smallGuild = (i: number) => String(700000000000000000n + BigInt(i));

const WORDS = `midnight harbor neon drift velvet echo solar static orbit ember crystal shadow pulse river
  glass signal hollow silver thunder mirror paper desert ocean satellite garden copper falling rising northern
  southern golden broken endless electric analog digital lunar amber violet crimson frozen burning distant
  secret silent wild quiet rough smooth deep high low warm cold summer winter autumn spring city night morning
  evening train station bridge tunnel tower island forest mountain valley storm rain snow wind fire stone iron`
  .split(/\s+/)
  .filter(Boolean);
const ARTISTS = Array.from(
  { length: 400 },
  (_, i) =>
    `${WORDS[i % WORDS.length]![0]!.toUpperCase()}${WORDS[i % WORDS.length]!.slice(1)} ${['Collective', 'Unit', 'Sound', 'Project', 'Machine', 'Kid', 'DJ', 'Club'][i % 8]}${i >= WORDS.length ? ` ${Math.floor(i / WORDS.length)}` : ''}`,
);

const rng = createRng(2026, 'bench-scale');
const cap = (w: string) => w[0]!.toUpperCase() + w.slice(1);
function titleFor(): string {
  const a = rng.pick(ARTISTS);
  const name = `${cap(rng.pick(WORDS))} ${cap(rng.pick(WORDS))}`;
  const remix = rng.next() < 0.25 ? ` (${cap(rng.pick(WORDS))} Remix)` : '';
  return `${a} - ${name}${remix} ${rng.int(1, 1000)}`;
}

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const round = (x: number, d = 1) => Number(x.toFixed(d));

function autocompleteInteraction(guildId: string, typed: string, got: { choices: unknown[] }): AutocompleteInteraction {
  return {
    guildId,
    options: { getFocused: () => typed },
    respond: (choices: unknown[]) => ((got.choices = choices), Promise.resolve()),
  } as unknown as AutocompleteInteraction;
}

function suggestInteraction(guildId: string, track: string, got: { reply?: unknown }): ChatInputCommandInteraction {
  const set = (x: unknown) => ((got.reply = x), Promise.resolve());
  return {
    guildId,
    options: { getString: (n: string) => (n === 'track' ? track : null), getInteger: () => null },
    reply: set,
    deferReply: () => Promise.resolve(),
    editReply: set,
    followUp: set,
    deleteReply: () => Promise.resolve(),
  } as unknown as ChatInputCommandInteraction;
}

/** Every track "has" its audio: the pick is measured, not the disk. */
class PresentFiles extends TrackFiles {
  override has(): Promise<boolean> {
    return Promise.resolve(true);
  }
}

/**
 * The code before the index: the whole library's analyses, every read (its hashes were in GuildState.library, read
 * with the state; here the state is read for the same cost and the list passed).
 */
async function oldLoadLibrary(
  analyses: AnalysisStore,
  state: GuildState,
  library: readonly string[],
): Promise<StoredAnalysis[]> {
  const hashes = [...new Set([...state.library, ...library, ...(await analyses.sharedHashes())])];
  const records = (await analyses.getMany(hashes)).filter((r): r is StoredAnalysis => r !== undefined);
  return records.sort((a, b) => a.hash.localeCompare(b.hash));
}

function typedQueries(titles: string[], n: number): string[] {
  const q: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = rng.pick(titles).toLowerCase();
    const kind = i % 5;
    if (kind === 0)
      q.push(t.slice(0, rng.int(1, 4))); // the first letters
    else if (kind === 1)
      q.push(t.slice(0, rng.int(5, 12))); // more of the start
    else if (kind === 2) {
      const at = rng.int(3, Math.max(4, t.length - 6));
      q.push(t.slice(at, at + rng.int(3, 7)));
    } // inside
    else if (kind === 3)
      q.push(rng.pick(WORDS)); // a word
    else q.push(`zq${rng.int(0, 1e6).toString(36)}`); // nothing matches: the whole guild is looked through
  }
  return q;
}

async function runBackend(
  kind: 'sqlite' | 'postgres',
  setting: string,
  load: () => number[],
): Promise<Record<string, unknown>> {
  const log = (s: string) => process.stdout.write(`[${kind}] ${s}\n`);
  const t0 = process.hrtime.bigint();
  let store = await GuildStore.open(setting);
  let analyses = await AnalysisStore.open(setting);
  const sql = kind === 'sqlite' ? await openSqliteClient(setting) : openPostgresClient(setting);
  const big = await seedAnalyses(sql, 'big', BIG, 1, { title: titleFor });
  const base = await seedAnalyses(sql, 'base', BASELINE, 2, { title: titleFor });
  const small: Seeded[][] = [];
  for (let g = 0; g < GUILDS; g++)
    small.push(await seedAnalyses(sql, `g${g}`, PER_GUILD, 1000 + g * PER_GUILD, { title: titleFor }));
  await sql.close();
  log(`analyses stored: ${BIG + BASELINE + GUILDS * PER_GUILD} in ${round(ms(t0) / 1000)} s`);

  // The libraries as the bot writes them: GuildState.library, which the store's write puts in the index.
  const t1 = process.hrtime.bigint();
  await store.update(BIG_GUILD, (s) => ({ ...s, library: big.map((t) => t.hash) }));
  await store.update(BASE_GUILD, (s) => ({ ...s, library: base.map((t) => t.hash) }));
  const savedAt = new Date().toISOString();
  for (let g = 0; g < GUILDS; g++) {
    const lib = small[g]!;
    await store.update(smallGuild(g), (s) => ({
      ...s,
      library: lib.map((t) => t.hash),
      history: lib
        .slice(1, 6)
        .map((t, i) => ({ hash: t.hash, playedAt: new Date(Date.now() - (6 - i) * 300_000).toISOString() })),
      session: {
        voiceChannelId: `v${g}`,
        textChannelId: `t${g}`,
        order: 'smart',
        startedAt: savedAt,
        current: {
          hash: lib[0]!.hash,
          title: lib[0]!.title,
          positionSec: Number((lib[0]!.durationSec * 0.4).toFixed(1)),
          savedAt,
        },
      },
    }));
  }
  log(`libraries indexed (through GuildStore.update): ${round(ms(t1) / 1000)} s`);
  await analyses.close();
  await store.close();

  // A bot start: the stores opened again (migrations checked, the import already done).
  const tOpen = process.hrtime.bigint();
  store = await GuildStore.open(setting);
  analyses = await AnalysisStore.open(setting);
  const openMs = ms(tOpen);
  const scorer = lazyScorer(() => MixScorer.load());
  const files = new PresentFiles(path.join(os.tmpdir(), 'minidj-bench-none'));
  const deps = { analyses, files, scorer: () => scorer.get() };
  await scorer.get();

  // How long the event loop (a live set's audio cycle) waited behind the store's queries meanwhile.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();

  // Autocomplete on the 100,000-track guild.
  const autocomplete = trackAutocomplete(analyses);
  const queries = typedQueries(
    big.map((t) => t.title),
    500,
  );
  const acTimes: number[] = [];
  let choices = 0;
  for (const typed of queries) {
    const got = { choices: [] as unknown[] };
    const s = process.hrtime.bigint();
    await autocomplete(autocompleteInteraction(BIG_GUILD, typed, got));
    acTimes.push(ms(s));
    choices += got.choices.length;
  }
  // Isolation: a small guild never sees the big one's tracks.
  const got = { choices: [] as unknown[] };
  await autocomplete(autocompleteInteraction(smallGuild(0), big[0]!.title, got));
  if ((got.choices as { value: string }[]).some((c) => c.value === big[0]!.hash))
    throw new Error("another guild's track was offered");
  const smallAc: number[] = [];
  for (const typed of typedQueries(
    small[0]!.map((t) => t.title),
    200,
  )) {
    const s = process.hrtime.bigint();
    await autocomplete(autocompleteInteraction(smallGuild(rng.int(0, GUILDS)), typed, { choices: [] }));
    smallAc.push(ms(s));
  }
  log(
    `autocomplete (${BIG.toLocaleString('en')}-track guild, ${queries.length} queries, ${round(choices / queries.length)} choices on average): p50 ${round(quantile(acTimes, 0.5))} ms, p99 ${round(quantile(acTimes, 0.99))} ms; 100-track guilds p99 ${round(quantile(smallAc, 0.99))} ms`,
  );

  // /suggest end to end, from an exact title.
  const suggestRoute = suggestHandler(store, analyses, scorer);
  const suggest = (i: ChatInputCommandInteraction) => suggestRoute(i, i.options);
  const sgTimes: number[] = [];
  for (let i = 0; i < 31; i++) {
    const from = rng.pick(big);
    const reply: { reply?: unknown } = {};
    const s = process.hrtime.bigint();
    await suggest(suggestInteraction(BIG_GUILD, from.title, reply));
    if (i > 0) sgTimes.push(ms(s));
    const embeds = (reply.reply as { embeds?: unknown[] } | undefined)?.embeds;
    if (!embeds || embeds.length === 0)
      throw new Error(`/suggest gave no suggestions: ${JSON.stringify(reply.reply).slice(0, 200)}`);
  }
  log(
    `/suggest (${BIG.toLocaleString('en')}-track guild, end to end, ONNX scoring): median ${round(quantile(sgTimes, 0.5))} ms, p95 ${round(quantile(sgTimes, 0.95))} ms`,
  );

  // The set's next pick when the playlist has run dry: the store read and pickNextTrack, as the live set does.
  const npTimes: number[] = [];
  const stateBytes = JSON.stringify(await store.get(BIG_GUILD)).length;
  for (let i = 0; i < 31; i++) {
    const from = rng.pick(big);
    const record = (await analyses.get(from.hash))!;
    const current = (await liveTrackOf(record, files))!;
    const s = process.hrtime.bigint();
    const state = await store.get(BIG_GUILD);
    const pick = await pickNextTrack(state, current, 'smart', deps);
    if (i > 0) npTimes.push(ms(s));
    if (!pick.track) throw new Error('no next pick');
  }
  log(
    `next pick (${BIG.toLocaleString('en')}-track guild, state read + pick): median ${round(quantile(npTimes, 0.5))} ms, p95 ${round(quantile(npTimes, 0.95))} ms (its guild state is ${round(stateBytes / 1e6, 2)} MB of JSON)`,
  );

  loopDelay.disable();
  const loopMaxMs = round(loopDelay.max / 1e6);
  const loopP99Ms = round(loopDelay.percentile(99) / 1e6);
  log(`event loop delay over autocomplete, /suggest and next pick: p99 ${loopP99Ms} ms, max ${loopMaxMs} ms`);

  // The same on the 1,000-track guild: the index, and the code before it (loadLibrary).
  const baseTitles = base.map((t) => t.title);
  const baseHashes = base.map((t) => t.hash);
  const newBase = { ac: [] as number[], sg: [] as number[], np: [] as number[] };
  const oldBase = { ac: [] as number[], sg: [] as number[], np: [] as number[] };
  for (let i = 0; i < 11; i++) {
    const typed = typedQueries(baseTitles, 1)[0]!;
    let s = process.hrtime.bigint();
    await autocomplete(autocompleteInteraction(BASE_GUILD, typed, { choices: [] }));
    const acNew = ms(s);
    s = process.hrtime.bigint();
    const lib = await oldLoadLibrary(analyses, await store.get(BASE_GUILD), baseHashes);
    lib
      .map((r) => ({ r, title: libraryTitle(r), at: libraryTitle(r).toLowerCase().indexOf(typed) }))
      .filter((x) => x.at >= 0)
      .sort((a, b) => Number(a.at !== 0) - Number(b.at !== 0) || a.title.localeCompare(b.title))
      .slice(0, 25);
    const acOld = ms(s);
    const from = rng.pick(base);
    s = process.hrtime.bigint();
    await suggest(suggestInteraction(BASE_GUILD, from.title, {}));
    const sgNew = ms(s);
    s = process.hrtime.bigint();
    const all = await oldLoadLibrary(analyses, await store.get(BASE_GUILD), baseHashes);
    const fromRecord = all.find((r) => libraryTitle(r).toLowerCase() === from.title.toLowerCase())!;
    await suggestNext(await scorer.get(), toLibraryEntry(fromRecord), all.map(toLibraryEntry), 5);
    const sgOld = ms(s);
    const current: LiveTrack = (await liveTrackOf(fromRecord, files))!;
    s = process.hrtime.bigint();
    await pickNextTrack(await store.get(BASE_GUILD), current, 'smart', deps);
    const npNew = ms(s);
    s = process.hrtime.bigint();
    const every = await oldLoadLibrary(analyses, await store.get(BASE_GUILD), baseHashes);
    const candidates = every.filter((r) => r.hash !== current.hash);
    await suggestNext(
      await scorer.get(),
      { id: current.hash, title: current.title, descriptor: describeTrack(current.analysis) },
      candidates.map(toLibraryEntry),
      candidates.length,
    );
    const npOld = ms(s);
    if (i === 0) continue;
    newBase.ac.push(acNew);
    oldBase.ac.push(acOld);
    newBase.sg.push(sgNew);
    oldBase.sg.push(sgOld);
    newBase.np.push(npNew);
    oldBase.np.push(npOld);
  }
  const med = (x: number[]) => round(quantile(x, 0.5));
  log(
    `baseline, 1,000-track guild, median — loadLibrary (before): autocomplete ${med(oldBase.ac)} ms, /suggest ${med(oldBase.sg)} ms, next pick ${med(oldBase.np)} ms; index: ${med(newBase.ac)} / ${med(newBase.sg)} / ${med(newBase.np)} ms`,
  );

  // 1,000 saved sessions resumed at start: the loading part of LiveSets.resume for every guild at once (the stores
  // opened, each guild's state, its saved track's analysis and audio, the downbeat to resume on), no audio played.
  // Then, apart, what each resumed set does next: pick the track to mix into (pickNextTrack on its library).
  await analyses.close();
  await store.close();
  const tResume = process.hrtime.bigint();
  store = await GuildStore.open(setting);
  analyses = await AnalysisStore.open(setting);
  const rdeps = { analyses, files, scorer: () => scorer.get() };
  const ids = Array.from({ length: GUILDS }, (_, g) => smallGuild(g));
  const loaded = await Promise.all(
    ids.map(async (id) => {
      const state = await store.get(id);
      const session = state.session!;
      const record = await analyses.get(session.current.hash);
      const track = record ? await liveTrackOf(record, files) : undefined;
      const fromSec = track ? resumePoint(track, session.current.positionSec) : undefined;
      if (track && fromSec !== undefined) return { state, track };
      // As LiveSets.resume does: a saved song gone or nearly over, the set starts with the library's pick instead.
      const first = (await pickNextTrack(state, undefined, session.order, rdeps)).track;
      return first ? { state, track: first } : undefined;
    }),
  );
  const resumeSec = ms(tResume) / 1000;
  const ok = loaded.filter((x) => x !== undefined).length;
  const tPicks = process.hrtime.bigint();
  const picks = await Promise.all(
    loaded.map(async (x) => (x ? (await pickNextTrack(x.state, x.track, 'smart', rdeps)).track !== undefined : false)),
  );
  const firstPicksSec = ms(tPicks) / 1000;
  log(
    `resume: ${ok} of ${GUILDS} saved sessions loaded (stores opened, state, saved track and resume point, or the first pick when the saved song is nearly over) in ${round(resumeSec, 2)} s; then every set's first next pick (${picks.filter(Boolean).length} of ${GUILDS}) in ${round(firstPicksSec, 2)} s`,
  );
  await scorer.close();
  await analyses.close();
  await store.close();

  const ratio = (a: number, b: number) => round(a / b, 1);
  log(
    `ratios — before at 1,000 tracks / index at ${BIG.toLocaleString('en')}: autocomplete ${ratio(quantile(oldBase.ac, 0.5), quantile(acTimes, 0.5))}×, /suggest ${ratio(quantile(oldBase.sg, 0.5), quantile(sgTimes, 0.5))}×, next pick ${ratio(quantile(oldBase.np, 0.5), quantile(npTimes, 0.5))}×`,
  );
  return {
    tracks: BIG,
    guilds: GUILDS,
    autocompleteP50Ms: round(quantile(acTimes, 0.5)),
    autocompleteP99Ms: round(quantile(acTimes, 0.99)),
    autocompleteSmallGuildP99Ms: round(quantile(smallAc, 0.99)),
    suggestMs: round(quantile(sgTimes, 0.5)),
    suggestP95Ms: round(quantile(sgTimes, 0.95)),
    nextPickMs: round(quantile(npTimes, 0.5)),
    nextPickP95Ms: round(quantile(npTimes, 0.95)),
    loopDelayP99Ms: loopP99Ms,
    loopDelayMaxMs: loopMaxMs,
    resumeSec: round(resumeSec, 2),
    resumed: ok,
    resumeFirstPicksSec: round(firstPicksSec, 2),
    storeOpenMs: round(openMs),
    bigGuildStateMB: round(stateBytes / 1e6, 2),
    baseline1000: {
      before: { autocompleteMs: med(oldBase.ac), suggestMs: med(oldBase.sg), nextPickMs: med(oldBase.np) },
      index: { autocompleteMs: med(newBase.ac), suggestMs: med(newBase.sg), nextPickMs: med(newBase.np) },
    },
    load: load().map((x) => round(x, 2)),
  };
}

const outFile = path.join(PROJECT_ROOT, 'out', 'bench-scale.json');
/** A run of one backend keeps the other's last figures. */
const results: Record<string, unknown> = existsSync(outFile)
  ? (JSON.parse(readFileSync(outFile, 'utf8')) as Record<string, unknown>)
  : {};
const cpus = os.cpus().length;
process.stdout.write(
  `bench:scale — ${BIG.toLocaleString('en')}-track guild, ${GUILDS} guilds of ${PER_GUILD}; ${cpus} cores, load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}\n`,
);
for (const backend of BACKENDS) {
  if (backend === 'sqlite') {
    const tmp = makeTempDir();
    try {
      results.sqlite = await runBackend('sqlite', path.join(tmp.dir, 'minidj.sqlite'), () => os.loadavg());
    } finally {
      tmp.cleanup();
    }
  } else if (backend === 'postgres') {
    if (!hasPostgres) {
      process.stdout.write('[postgres] skipped: no PostgreSQL server programs (initdb, postgres) on this machine\n');
      continue;
    }
    const server = await startPostgres();
    try {
      results.postgres = await runBackend('postgres', server.url, () => os.loadavg());
    } finally {
      await server.stop();
    }
  }
}
if (process.env.BENCH_SCALE_ANALYSIS === '1') {
  const analysis = await runAnalysisQueueBench();
  if (analysis) results.analysisQueue = analysis;
}
mkdirSync(path.join(PROJECT_ROOT, 'out'), { recursive: true });
writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`wrote out/bench-scale.json\n`);
