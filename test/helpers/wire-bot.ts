import type { Bot, BotOptions } from '../../src/bot/create-bot.ts';
import type { LiveSet } from '../../src/bot/live/live-set.ts';
import { answerTo, openBotHarness } from './bot-harness.ts';
import type { BotHarness } from './bot-harness.ts';
import { seedBotPlaylist } from './bot-tracks.ts';
import { djsetInteraction, FAKE_GUILD_ID, FAKE_OWNER_ID } from './fake-discord.ts';
import { startFakeVoiceServer } from './fake-voice-server.ts';
import type { FakeVoiceServer, FakeVoiceServerOptions, WirePacket } from './fake-voice-server.ts';
import { trustedLoopbackCert } from './loopback-tls.ts';
import { tapSetAudio } from './set-audio-tap.ts';
import type { SetAudioTap } from './set-audio-tap.ts';
import { checkWire } from './wire-audio-check.ts';
import type { WireReport } from './wire-audio-check.ts';
import { until } from './until.ts';

/** The member listening in the set's channel (the fake guild's owner is in it): their client decrypts the bot's frames. */
export const LISTENER = { id: FAKE_OWNER_ID, username: 'owner' };

/** The bot on the fake Discord, its voice connections going to voice servers on loopback instead of a stand-in. */
export interface WireBot {
  h: BotHarness;
  bot: Bot;
  /** The voice server the fake Discord sends the bot to first. */
  voice: FakeVoiceServer;
  /** The voice server the bot was sent to last. */
  serving(): FakeVoiceServer;
  /** Another voice server (closed with the rest). */
  startVoiceServer(options?: Partial<FakeVoiceServerOptions>): Promise<FakeVoiceServer>;
  /** `/djset start` by the listener: what the deferred reply finally said. */
  startSet(): Promise<{ content: string; ephemeral: boolean }>;
  set(): LiveSet;
  /** Every packet the voice servers received since `since` (performance.now()), in the order they arrived. */
  packetsSince(since: number): WirePacket[];
  /** Resolves once `sec` seconds of decrypted audio arrived after `since` (performance.now(); default: now). */
  audioAfter(sec: number, since?: number, timeoutMs?: number): Promise<void>;
  /** The wire check of everything that arrived since the set started, against what its engine rendered and its player sent. */
  check(): WireReport;
  /** What the set's engine rendered so far (48 kHz stereo, interleaved), and the Opus packets its player sent. */
  rendered(): Float32Array;
  sent(): Buffer[];
  /** Every packet since the set started. */
  received(): WirePacket[];
  /** What the bot said in text channels. */
  said(): string[];
  close(): Promise<void>;
}

export async function openWireBot(
  voiceOptions: Partial<FakeVoiceServerOptions> = {},
  botOptions: Partial<BotOptions> = {},
): Promise<WireBot> {
  const tls = trustedLoopbackCert();
  const h = await openBotHarness();
  await seedBotPlaylist(h, FAKE_GUILD_ID, LISTENER.id);
  const servers: FakeVoiceServer[] = [];
  const startVoiceServer = async (options: Partial<FakeVoiceServerOptions> = {}): Promise<FakeVoiceServer> => {
    const server = await startFakeVoiceServer({
      tls,
      joins: () => h.discord.voiceJoins,
      listenerId: LISTENER.id,
      ...voiceOptions,
      ...options,
    });
    servers.push(server);
    return server;
  };
  const voice = await startVoiceServer();
  h.discord.setVoiceServer(voice.endpoint);
  const tap: SetAudioTap = tapSetAudio();
  const bot = await h.start({ resumeSets: false, ...botOptions });
  const set = (): LiveSet => {
    const live = bot.sets.get(FAKE_GUILD_ID);
    if (!live) throw new Error('no set is playing');
    return live;
  };
  const packetsSince = (since: number): WirePacket[] =>
    servers.flatMap((s) => s.packets.filter((p) => p.at >= since)).sort((a, b) => a.at - b.at);
  let startedAt = 0;
  return {
    h,
    bot,
    voice,
    startVoiceServer,
    set,
    packetsSince,
    serving: () => servers.find((s) => s.endpoint === h.discord.voiceJoins.at(-1)?.endpoint) ?? voice,
    async startSet() {
      startedAt = performance.now();
      const payload = djsetInteraction({ subcommand: 'start', user: LISTENER });
      const callback = await answerTo<{ type: number }>(h.discord, payload);
      if (callback.type !== 5) throw new Error(`/djset start was answered with type ${callback.type}`);
      return h.discord.deferredOutcome(payload, 30_000);
    },
    async audioAfter(sec, since = performance.now(), timeoutMs = sec * 1000 + 20_000) {
      await until(
        () => packetsSince(since).filter((p) => p.opus && p.opus.length > 3).length >= sec * 50 || undefined,
        `${sec} s of audio on the wire`,
        timeoutMs,
      );
    },
    check: () => checkWire(packetsSince(startedAt), tap.pcm(set().engine), tap.opus(set().broadcast.resource)),
    rendered: () => tap.pcm(set().engine),
    sent: () => tap.opus(set().broadcast.resource),
    received: () => packetsSince(startedAt),
    said: () => h.discord.channelMessages().map((m) => String(m.body.content)),
    async close() {
      await h.close();
      tap.restore();
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
