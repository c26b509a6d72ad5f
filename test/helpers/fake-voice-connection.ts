import type { AudioPlayer } from '@discordjs/voice';

/** What a player hands a ready voice connection: every prepared Opus packet, in order. */
export interface FakeVoiceConnection {
  packets: Buffer[];
  detach(): void;
}

/**
 * Subscribes a stand-in for a Ready voice connection to `player`, so the player plays (the real voice websocket, UDP
 * and DAVE cannot be faked) and records exactly the packets it would encrypt and send.
 */
export function attachFakeConnection(player: AudioPlayer): FakeVoiceConnection {
  const packets: Buffer[] = [];
  const connection = {
    state: { status: 'ready' },
    prepareAudioPacket: (packet: Buffer) => void packets.push(packet),
    dispatchAudio: () => true,
    setSpeaking: () => true,
    onSubscriptionRemoved: () => undefined,
  };
  const internal = player as unknown as { subscribe(c: unknown): { unsubscribe(): void } };
  const subscription = internal.subscribe(connection);
  return { packets, detach: () => subscription.unsubscribe() };
}
