import { afterEach, describe, expect, it } from 'vitest';
import { createAudioPlayer, VoiceConnectionStatus } from '@discordjs/voice';
import type { DiscordGatewayAdapterCreator } from '@discordjs/voice';
import { VoiceLink } from '../src/voice/voice-link.ts';
import { until } from './helpers/until.ts';

/** A gateway adapter standing in for discord.js's: records the op 4 payloads; `up` says whether the shard can send. */
function fakeAdapter(up: () => boolean) {
  const payloads: { at: number; channelId: string | null }[] = [];
  const creator: DiscordGatewayAdapterCreator = () => ({
    sendPayload: (payload: { d: { channel_id: string | null } }) => {
      payloads.push({ at: Date.now(), channelId: payload.d.channel_id });
      return up();
    },
    destroy: () => undefined,
  });
  return { creator, payloads };
}

const links: VoiceLink[] = [];
afterEach(() => {
  for (const l of links.splice(0)) l.destroy();
});

function link(up: () => boolean, extra: { maxRejoins?: number; movedGraceMs?: number } = {}) {
  const adapter = fakeAdapter(up);
  const lost: string[] = [];
  const l = new VoiceLink({
    guildId: '222222222222222222', channelId: '333333333333333332', adapterCreator: adapter.creator, player: createAudioPlayer(),
    onLost: (why) => lost.push(why), firstRetryMs: 20, ...extra,
  });
  links.push(l);
  return { l, adapter, lost };
}

describe('voice link', () => {
  it('rejoins with doubling waits while the gateway cannot send, and keeps the connection once it can', async () => {
    let calls = 0;
    const { l, adapter, lost } = link(() => ++calls > 3);
    await until(() => adapter.payloads.length >= 4, 'four join payloads', 3000);
    expect(adapter.payloads.every((p) => p.channelId === '333333333333333332')).toBe(true);
    const waits = adapter.payloads.slice(1).map((p, i) => p.at - adapter.payloads[i]!.at);
    expect(waits[0]).toBeGreaterThanOrEqual(18);
    expect(waits[1]).toBeGreaterThanOrEqual(38);
    expect(waits[2]).toBeGreaterThanOrEqual(78);
    expect(l.connection.state.status).toBe(VoiceConnectionStatus.Signalling);
    expect(lost).toEqual([]);
  });

  it('gives up after the last rejoin and says why', async () => {
    const { l, adapter, lost } = link(() => false, { maxRejoins: 2 });
    await until(() => lost.length === 1, 'the link to give up', 3000);
    expect(lost).toEqual(['lost the voice connection and could not get it back']);
    // The join and two rejoins, then the leave that destroying the connection sends.
    expect(adapter.payloads.map((p) => p.channelId)).toEqual(['333333333333333332', '333333333333333332', '333333333333333332', null]);
    expect(l.connection.state.status).toBe(VoiceConnectionStatus.Destroyed);
  });

  it('ends the set when Discord removes the bot from the channel (close 4014) and it is not moved elsewhere', async () => {
    const { l, lost } = link(() => true, { movedGraceMs: 100 });
    // What the connection does when the voice websocket closes with 4014.
    (l.connection as unknown as { onNetworkingClose(code: number): void }).onNetworkingClose(4014);
    expect(l.connection.state.status).toBe(VoiceConnectionStatus.Disconnected);
    await until(() => lost.length === 1, 'the link to give up', 3000);
    expect(lost).toEqual(['was disconnected from the voice channel']);
    expect(l.connection.state.status).toBe(VoiceConnectionStatus.Destroyed);
  });
});
