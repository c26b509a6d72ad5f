import { setTimeout as realSleep } from 'node:timers/promises';
import { AudioPlayerStatus } from '@discordjs/voice';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { SetEngine } from '../src/audio/set/set-engine.ts';
import type { PlannedTrack } from '../src/audio/transition/transition-plan.ts';
import { TransitionRenderer } from '../src/audio/transition/transition-renderer.ts';
import { SetBroadcast } from '../src/voice/set-broadcast.ts';
import { attachFakeConnection } from './helpers/fake-voice-connection.ts';
import { handsCrate } from './helpers/hands-crate.ts';

const OPUS_SILENCE = Buffer.from([0xf8, 0xff, 0xfe]);

/** Frame duration in ms from an Opus packet's TOC byte (RFC 6716 §3.1). */
function frameMs(packet: Buffer): number {
  const config = packet[0]! >> 3;
  if (config < 12) return [10, 20, 40, 60][config % 4]!;
  if (config < 16) return [10, 20][config % 2]!;
  return [2.5, 5, 10, 20][config % 4]!;
}

let tracks: PlannedTrack[] = [];
beforeAll(async () => {
  // Three compatible 64-bar tracks (124, 126 and 125 BPM), analysed once for the audio tests that share them.
  tracks = (await handsCrate()).tracks;
}, 180_000);

describe('voice pipeline', () => {
  it("plays a set with 2 transitions through the guild's audio player: every 20 ms frame in order, never idle or silent at a track boundary", async () => {
    // The player's 20 ms clock is faked and only ticks once the pipeline has the next packet ready: faster than real
    // time, and a frame the live stream would have been late with still shows up as a silence frame.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const renderer = new TransitionRenderer();
    try {
      const engine = new SetEngine(tracks, { renderer });
      const broadcast = new SetBroadcast(engine, { leadSec: 1, startBufferFrames: 0 });
      const listener = attachFakeConnection(broadcast.player);
      const statuses: string[] = [];
      broadcast.player.on('stateChange', (_old, next) => statuses.push(next.status));
      await broadcast.started;
      // The resource's stream holds the encoder's packets; once the set is encoded, all of them are in it.
      const playStream = broadcast.resource.playStream;
      let encoded = false;
      void broadcast.fed.then(
        () => (encoded = true),
        () => (encoded = true),
      );
      const idle = (): boolean => broadcast.player.state.status === AudioPlayerStatus.Idle;
      while (!idle()) {
        // Not readableEnded: at the end of the set the stream has all its packets but emits 'end' only once the player
        // reads again, which needs the clock this loop would be withholding.
        while (playStream.readableLength === 0 && !encoded && !idle()) {
          // A real 1 ms wait, not a busy loop of immediates: that starves the pipes this is waiting on.
          await realSleep(1);
        }
        await vi.advanceTimersByTimeAsync(20);
      }
      const packets = listener.packets;
      const seconds = engine.positionSec;
      expect(seconds).toBeGreaterThan(180);
      expect(engine.report).toHaveLength(2);
      // Buffering, then playing until the set ended: never idle (or paused) in between.
      expect(
        statuses.slice(0, -1).every((s) => s === AudioPlayerStatus.Playing || s === AudioPlayerStatus.Buffering),
      ).toBe(true);
      expect(statuses.at(-1)).toBe(AudioPlayerStatus.Idle);
      expect(packets.every((p) => p.length > 0 && frameMs(p) === 20)).toBe(true);
      // Every 20 ms of the set is a packet, nothing dropped or stalled: the encoder's packets (the set plus libopus's
      // 312-sample look-ahead, the last frame padded), at most one silence frame from the read that finds the end, and
      // the resource's 5 frames of end padding.
      const expected = Math.ceil((seconds * 48_000 + 312) / 960);
      expect(packets.length - 5 - expected).toBeGreaterThanOrEqual(0);
      expect(packets.length - 5 - expected).toBeLessThanOrEqual(1);
      const fadeStart = packets.length - 5 - 2 * 50;
      const silent = packets.map((p, i) => (p.equals(OPUS_SILENCE) && i < fadeStart ? i : -1)).filter((i) => i >= 0);
      expect(silent).toEqual([]);
      for (const t of engine.report) {
        const at = Math.round(t.startSec * 50);
        const around = packets.slice(at - 50, at + 50);
        expect(around.length).toBe(100);
        expect(around.every((p) => p.length > 20)).toBe(true);
      }
    } finally {
      vi.useRealTimers();
      await renderer.close();
    }
  }, 180_000);
});
