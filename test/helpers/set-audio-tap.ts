import { AudioResource } from '@discordjs/voice';
import { SetEngine } from '../../src/audio/set/set-engine.ts';

export interface SetAudioTap {
  /** Everything `engine` has streamed so far (48 kHz stereo, interleaved): what its encoder was given. */
  pcm(engine: SetEngine<never> | SetEngine): Float32Array;
  /** The Opus packets `resource` handed its player so far, in order: packet i carries the set's 20 ms frame i. */
  opus(resource: AudioResource<unknown>): Buffer[];
  restore(): void;
}

/**
 * Records, for tests that compare it with what reached a listener, what every set of this process rendered (the PCM
 * its SetEngine streamed) and what its player was given to send (the Opus packets its AudioResource yielded). It wraps
 * `SetEngine.prototype.stream` and `AudioResource.prototype.read` in the test's process only (the bot runs in it):
 * nothing is added to the bot. Each PCM chunk is copied before the encoder is handed it (it transfers the buffer).
 */
export function tapSetAudio(): SetAudioTap {
  const stream = SetEngine.prototype.stream;
  const read = AudioResource.prototype.read;
  const chunks = new WeakMap<object, Float32Array[]>();
  const packets = new WeakMap<object, Buffer[]>();
  SetEngine.prototype.stream = async function* tapped(this: SetEngine): AsyncGenerator<Float32Array> {
    const streamed: Float32Array[] = [];
    chunks.set(this, streamed);
    for await (const chunk of stream.call(this)) {
      streamed.push(chunk.slice());
      yield chunk;
    }
  };
  AudioResource.prototype.read = function tappedRead(this: AudioResource<unknown>): Buffer | null {
    // The padding the resource adds at its end is silence, no frame of the set.
    const padding = this.silenceRemaining > 0;
    const packet = read.call(this);
    if (packet && !padding) {
      const read = packets.get(this) ?? [];
      packets.set(this, read);
      read.push(packet);
    }
    return packet;
  };
  return {
    pcm(engine) {
      const streamed = chunks.get(engine) ?? [];
      const out = new Float32Array(streamed.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of streamed) {
        out.set(c, at);
        at += c.length;
      }
      return out;
    },
    opus: (resource) => packets.get(resource) ?? [],
    restore() {
      SetEngine.prototype.stream = stream;
      AudioResource.prototype.read = read;
    },
  };
}
