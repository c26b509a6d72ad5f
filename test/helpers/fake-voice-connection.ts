import { EventEmitter } from 'node:events';
import { getVoiceConnections, VoiceConnectionStatus } from '@discordjs/voice';
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

export interface VoiceServerStandIn {
  /** Opus packets each guild's connection sent, in order. */
  packets: Map<string, Buffer[]>;
  /** Connections made Ready so far. */
  readied(): number;
  /** While off, connections stay as they are (a voice server that never answers). */
  setAnswering(answering: boolean): void;
  stop(): void;
}

/**
 * Stands in for Discord's voice servers (their websocket, UDP and DAVE cannot be faked): every real VoiceConnection
 * that has received its voice state from the (fake) gateway is made Ready over a networking stub that records the
 * Opus packets it would encrypt and send. The connection, its gateway signalling (op 4, VOICE_STATE_UPDATE), its
 * subscription and its player are the real ones.
 */
export function standInVoiceServer(pollMs = 20): VoiceServerStandIn {
  const packets = new Map<string, Buffer[]>();
  let readied = 0;
  let answering = true;
  const timer = setInterval(() => {
    if (!answering) return;
    for (const connection of getVoiceConnections().values()) {
      const signalled = (connection as unknown as { packets: { state?: { channel_id?: string | null } } }).packets.state
        ?.channel_id;
      if (connection.state.status !== VoiceConnectionStatus.Signalling || !signalled) continue;
      const sent: Buffer[] = packets.get(connection.joinConfig.guildId) ?? [];
      packets.set(connection.joinConfig.guildId, sent);
      let prepared: Buffer | undefined;
      const networking = Object.assign(new EventEmitter(), {
        state: { code: 4 },
        prepareAudioPacket: (packet: Buffer) => (prepared = packet),
        dispatchAudio: () => {
          if (prepared) sent.push(prepared);
          prepared = undefined;
          return true;
        },
        setSpeaking: () => undefined,
        destroy: () => undefined,
      });
      connection.state = {
        ...connection.state,
        status: VoiceConnectionStatus.Ready,
        networking,
      } as unknown as typeof connection.state;
      readied += 1;
    }
  }, pollMs);
  timer.unref();
  return { packets, readied: () => readied, setAnswering: (on) => (answering = on), stop: () => clearInterval(timer) };
}
