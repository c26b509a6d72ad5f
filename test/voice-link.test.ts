import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createAudioPlayer, NetworkingStatusCode, VoiceConnectionStatus } from '@discordjs/voice';
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

function link(
  up: () => boolean,
  extra: { maxRejoins?: number; movedGraceMs?: number; reconnectTimeoutMs?: number } = {},
) {
  const adapter = fakeAdapter(up);
  const lost: string[] = [];
  const l = new VoiceLink({
    guildId: '222222222222222222',
    channelId: '333333333333333332',
    adapterCreator: adapter.creator,
    player: createAudioPlayer(),
    onLost: (why) => lost.push(why),
    firstRetryMs: 20,
    ...extra,
  });
  links.push(l);
  return { l, adapter, lost };
}

/** Puts the connection in `status` over a networking stand-in (a Ready one: no DAVE session to wait for). */
function enter(l: VoiceLink, status: VoiceConnectionStatus.Ready | VoiceConnectionStatus.Connecting): void {
  const networking = Object.assign(new EventEmitter(), {
    state: {
      code: status === VoiceConnectionStatus.Ready ? NetworkingStatusCode.Ready : NetworkingStatusCode.Resuming,
    },
    destroy: () => undefined,
  });
  l.connection.state = { ...l.connection.state, status, networking } as unknown as typeof l.connection.state;
}

/** What the connection does when its voice websocket closes with `code` (4014 aside): Signalling, and a join sent at once. */
function closedBy(l: VoiceLink, code: number): void {
  (l.connection as unknown as { onNetworkingClose(code: number): void }).onNetworkingClose(code);
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
    expect(adapter.payloads.map((p) => p.channelId)).toEqual([
      '333333333333333332',
      '333333333333333332',
      '333333333333333332',
      null,
    ]);
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

  it('rejoins a connection that stays connecting after a drop (a voice server gone quiet), and gives up after the last rejoin', async () => {
    const { l, adapter, lost } = link(() => true, { maxRejoins: 2, reconnectTimeoutMs: 40 });
    enter(l, VoiceConnectionStatus.Ready);
    // Back within the timeout (a resume): kept as it is.
    enter(l, VoiceConnectionStatus.Connecting);
    enter(l, VoiceConnectionStatus.Ready);
    await new Promise((r) => setTimeout(r, 80));
    expect(adapter.payloads).toHaveLength(1);
    const t0 = Date.now();
    // Resuming on a voice server that never answers: nothing in the library times this out.
    enter(l, VoiceConnectionStatus.Connecting);
    await until(() => lost.length === 1, 'the link to give up', 3000);
    expect(lost).toEqual(['lost the voice connection and could not get it back']);
    // The join, two rejoins each a timeout apart, the leave.
    expect(adapter.payloads.map((p) => p.channelId)).toEqual([
      '333333333333333332',
      '333333333333333332',
      '333333333333333332',
      null,
    ]);
    expect(adapter.payloads[1]!.at - t0).toBeGreaterThanOrEqual(35);
    expect(adapter.payloads[2]!.at - adapter.payloads[1]!.at).toBeGreaterThanOrEqual(35);
    expect(l.connection.state.status).toBe(VoiceConnectionStatus.Destroyed);
  });

  it('counts the rejoins the library makes by itself: a voice server refusing every session ends the link, no join storm', async () => {
    const { l, adapter, lost } = link(() => true, { maxRejoins: 3 });
    enter(l, VoiceConnectionStatus.Ready);
    closedBy(l, 4006);
    for (let i = 0; i < 4; i++) {
      enter(l, VoiceConnectionStatus.Connecting);
      // The library goes on to use the connection after its state change: the link must not destroy it under it.
      expect(() => closedBy(l, 4006)).not.toThrow();
    }
    await until(() => lost.length === 1, 'the link to give up', 1000);
    expect(lost).toEqual(['lost the voice connection and could not get it back']);
    expect(adapter.payloads.filter((p) => p.channelId !== null)).toHaveLength(1 + 5);
    expect(l.connection.state.status).toBe(VoiceConnectionStatus.Destroyed);
  });
});
