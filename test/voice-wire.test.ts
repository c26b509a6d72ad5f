import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getVoiceConnection, NetworkingStatusCode, VoiceConnectionStatus } from '@discordjs/voice';
import { FAKE_GUILD_ID, FAKE_VOICE_CHANNEL_ID } from './helpers/fake-discord.ts';
import { until } from './helpers/until.ts';
import { checkWire, wireProblems } from './helpers/wire-audio-check.ts';
import type { WireLimits, WireReport } from './helpers/wire-audio-check.ts';
import { openWireBot } from './helpers/wire-bot.ts';
import type { WireBot } from './helpers/wire-bot.ts';

/** Seconds of set checked frame by frame: three of the bot's 5 s UDP keep-alive periods. */
const SECONDS = 15;
/**
 * What a listener must get: the set as rendered after Opus (correlation 0.99), every frame, end-to-end encrypted.
 * Arrivals may stall on this shared 2-core machine (the bot's audio cycle waits for the CPU): reported, and bounded
 * generously.
 */
const CLEAN: WireLimits = {
  minCorrelation: 0.99,
  maxStallMs: 2000,
  maxSkippedMs: 0,
  maxSequenceGaps: 0,
  maxPassthrough: 0,
  maxSilenceFrames: 0,
  minAudioSec: 0,
};

let w: WireBot;
beforeAll(async () => {
  // 20 ms each way: the MLS exchange takes round trips as it does with Discord, not none as on loopback.
  w = await openWireBot({ latencyMs: 20 });
}, 120_000);
afterAll(async () => {
  await w?.close();
});

/** The bot's voice connection as @discordjs/voice holds it while Ready: its websocket, UDP socket, keys and DAVE session. */
function sender() {
  const state = getVoiceConnection(FAKE_GUILD_ID)?.state;
  if (state?.status !== VoiceConnectionStatus.Ready || state.networking.state.code !== NetworkingStatusCode.Ready)
    throw new Error('the voice connection is not Ready');
  return { networking: state.networking, ...state.networking.state };
}

function summary(r: WireReport) {
  return {
    audioSec: r.audioFrames / 50,
    correlation: Number(r.correlation.toFixed(4)),
    maxStallMs: Math.round(r.maxStallMs),
    skippedMs: r.skippedMs,
    jitterP50Ms: Number(r.jitter.p50.toFixed(1)),
    jitterP99Ms: Number(r.jitter.p99.toFixed(1)),
    e2ee: r.e2ee,
    passthrough: r.passthrough,
  };
}

describe('the set on the wire: the real @discordjs/voice against a Discord voice server on loopback', () => {
  it(`/djset start negotiates AES-GCM and DAVE 1 with the bot committing, and ${SECONDS} s of the set arrive as rendered`, async () => {
    const outcome = await w.startSet();
    expect(outcome.content).toMatch(new RegExp(`^Mixing in <#${FAKE_VOICE_CHANNEL_ID}>`));
    await w.audioAfter(SECONDS, 0);
    const report = w.check();
    console.log(`${SECONDS} s on the wire:`, JSON.stringify(summary(report)));
    expect(wireProblems(report, { ...CLEAN, minAudioSec: SECONDS })).toEqual([]);
    expect(report).toMatchObject({
      undecryptable: 0,
      sequenceGaps: 0,
      timestampErrors: 0,
      nonceRepeats: 0,
      silenceFrames: 0,
      passthrough: 0,
    });
    expect(report.e2ee).toBe(report.audioFrames);
    const [session] = w.voice.sessions;
    expect(w.voice.sessions).toHaveLength(1);
    expect(session).toMatchObject({
      mode: 'aead_aes256_gcm_rtpsize',
      daveVersion: 1,
      transitions: [1],
      resumes: [],
      staleAcks: 0,
      speaking: true,
      problems: [],
    });
    // The bot and the listener are in one MLS group: the same epoch authenticator.
    expect(session!.privacyCode).toMatch(/^\d{30}$/);
    expect(getVoiceConnection(FAKE_GUILD_ID)?.voicePrivacyCode).toBe(session!.privacyCode);
    expect(w.voice.keepAlives()).toBeGreaterThanOrEqual(SECONDS / 5 - 1);
  }, 120_000);

  it('fails a broken sender: a wrong key, skipped packets, frames out of E2EE, frames sent late', async () => {
    const broken = async (what: () => () => void): Promise<string[]> => {
      await w.audioAfter(0.5);
      const restore = what();
      await new Promise((r) => setTimeout(r, 600));
      restore();
      await w.audioAfter(0.5);
      return wireProblems(w.check(), CLEAN);
    };
    expect(wireProblems(w.check(), CLEAN)).toEqual([]);
    expect(
      await broken(() => {
        const { connectionData } = sender();
        const key = connectionData.secretKey;
        connectionData.secretKey = randomBytes(32);
        return () => (connectionData.secretKey = key);
      }),
    ).toContainEqual(expect.stringMatching(/^\d+ of \d+ packets could not be decrypted \(transport decryption failed/));

    expect(
      await broken(() => {
        const { udp } = sender();
        const send = udp.send.bind(udp);
        let n = 0;
        udp.send = (packet: Buffer) => (++n % 5 === 0 && packet.length > 8 ? undefined : send(packet));
        return () => (udp.send = send);
      }),
    ).toContainEqual(expect.stringMatching(/^\d+ packets missing by RTP sequence number$/));

    expect(
      await broken(() => {
        const { dave } = sender();
        dave!.protocolVersion = 0;
        return () => (dave!.protocolVersion = 1);
      }),
    ).toContainEqual(expect.stringMatching(/packets could not be decrypted \(.*UnencryptedWhenPassthroughDisabled/));

    expect(
      await broken(() => {
        const { networking } = sender();
        const prepare = networking.prepareAudioPacket.bind(networking);
        let late: Buffer | undefined;
        networking.prepareAudioPacket = (opus: Buffer) => {
          const sent = prepare(late ?? opus);
          late = opus;
          return sent;
        };
        return () => (networking.prepareAudioPacket = prepare);
      }),
    ).toContainEqual(expect.stringMatching(/^\d+ frames of the set came again or out of order$/));

    // What arrived, against a render 5 ms off: the decoded audio is not that set.
    const rendered = w.rendered();
    const late = new Float32Array(rendered.length);
    late.set(rendered.subarray(0, rendered.length - 480), 480);
    expect(
      wireProblems(checkWire(w.received(), late, w.sent()), {
        ...CLEAN,
        maxStallMs: Infinity,
        maxSkippedMs: Infinity,
        maxSequenceGaps: Infinity,
      }),
    ).toContainEqual(
      expect.stringMatching(/^the audio does not match the rendered set: correlation -?0\.\d+ < 0\.99$/),
    );
  }, 60_000);

  it('negotiates XChaCha20-Poly1305 with transport encryption only (DAVE 0) when that is what the server offers', async () => {
    await w.set().end('stopped');
    await until(() => w.bot.sets.get(FAKE_GUILD_ID) === undefined || undefined, 'the set to end');
    const server = await w.startVoiceServer({ modes: ['aead_xchacha20_poly1305_rtpsize'], daveVersion: 0 });
    w.h.discord.setVoiceServer(server.endpoint);
    expect((await w.startSet()).content).toMatch(/^Mixing in/);
    await w.audioAfter(3);
    const report = w.check();
    console.log('XChaCha20, DAVE 0:', JSON.stringify(summary(report)));
    expect(wireProblems(report, { ...CLEAN, maxPassthrough: Infinity, minAudioSec: 3 })).toEqual([]);
    expect(report).toMatchObject({ undecryptable: 0, e2ee: 0, sequenceGaps: 0 });
    expect(server.sessions).toMatchObject([
      { mode: 'aead_xchacha20_poly1305_rtpsize', daveVersion: 0, transitions: [], problems: [] },
    ]);
  }, 60_000);
});
