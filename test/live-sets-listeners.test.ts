import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { Client, GatewayIntentBits } from 'discord.js';
import type { Guild } from 'discord.js';
import { TransitionRenderer } from '../src/audio/transition/transition-renderer.ts';
import { LiveSets, StartFailed } from '../src/bot/live/live-sets.ts';
import { liveTrackOf } from '../src/bot/playlist/next-track.ts';
import type { LiveTrack } from '../src/bot/playlist/next-track.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { GuildStore } from '../src/db/guild-store.ts';
import { TrackFiles } from '../src/db/track-files.ts';
import { ingestBotTrack } from './helpers/bot-tracks.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';
import { until } from './helpers/until.ts';

const SETS = 30;
let tmp: ReturnType<typeof makeTempDir>;
let store: GuildStore;
let analyses: AnalysisStore;
let files: TrackFiles;
let track: LiveTrack;

/** A guild whose voice adapter accepts the join but no voice server ever answers. */
function silentGuild(i: number): Guild {
  const id = String(800000000000000000n + BigInt(i));
  return { id, voiceAdapterCreator: () => ({ sendPayload: () => true, destroy: () => undefined }) } as unknown as Guild;
}

beforeAll(async () => {
  tmp = makeTempDir();
  const db = path.join(tmp.dir, 'minidj.sqlite');
  store = await GuildStore.open(db);
  analyses = await AnalysisStore.open(db);
  files = new TrackFiles(path.join(tmp.dir, 'tracks'));
  const { contentHash } = await ingestBotTrack(0, path.join(tmp.dir, 'loop.wav'), analyses, (f, h, s) =>
    files.keep(f, h, s),
  );
  track = (await liveTrackOf((await analyses.get(contentHash))!, files))!;
}, 120_000);

afterAll(async () => {
  await analyses?.close();
  await store?.close();
  tmp?.cleanup();
});

describe('many live sets in one process', () => {
  it(`${SETS} sets share one voiceStateUpdate listener: no MaxListenersExceeded warning`, async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const client = new Client({ intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildVoiceStates] });
    const renderer = new TransitionRenderer();
    const errors: unknown[] = [];
    const sets = new LiveSets(
      {
        client,
        store,
        analyses,
        files,
        renderer,
        scorer: () => Promise.reject(new Error('no scorer in this test')),
        onError: (e) => errors.push(e),
        timing: { readyTimeoutMs: 3000 },
      },
      { maxSets: 1000, maxLoopLagMs: Infinity },
    );
    try {
      const starts = Array.from({ length: SETS }, (_, i) =>
        sets.start({
          guild: silentGuild(i),
          voiceChannelId: '1',
          textChannelId: '2',
          order: 'queue',
          starterId: '3',
          first: track,
        }),
      );
      await until(() => sets.size === SETS || undefined, `${SETS} sets`);
      expect(client.listenerCount('voiceStateUpdate')).toBe(1);
      // Nobody answers the joins: every start fails, and nothing is left registered.
      const results = await Promise.allSettled(starts);
      expect(results.every((r) => r.status === 'rejected' && r.reason instanceof StartFailed)).toBe(true);
      expect(sets.size).toBe(0);
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      await renderer.close();
      await client.destroy();
    }
  }, 120_000);
});
