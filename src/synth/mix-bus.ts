/** The stereo mix the instruments render into, plus a mono reverb send. */

export interface MixBus {
  length: number;
  left: Float32Array;
  right: Float32Array;
  /** Mono signal fed to the shared reverb. */
  send: Float32Array;
}

/** A precomputed stereo sample (a drum hit). Mono sounds use the same array for both sides. */
export interface OneShot {
  left: Float32Array;
  right: Float32Array;
}

export function createMixBus(length: number): MixBus {
  return { length, left: new Float32Array(length), right: new Float32Array(length), send: new Float32Array(length) };
}

export interface Placement {
  gainLeft: number;
  gainRight: number;
  send: number;
}

/** Samples of fade applied when a sound is cut short (an open hat choked by the next hat). */
const CHOKE_FADE = 96;

/** Mixes `shot` in at sample `at`, optionally cut to `maxLength` samples with a short fade. */
export function addOneShot(bus: MixBus, shot: OneShot, at: number, place: Placement, maxLength = Infinity): void {
  const { left, right, send } = bus;
  const sl = shot.left;
  const sr = shot.right;
  const length = Math.min(sl.length, maxLength);
  const from = Math.max(0, -at);
  const to = Math.min(length, bus.length - at);
  const gl = place.gainLeft;
  const gr = place.gainRight;
  const sendHalf = place.send * 0.5;
  const fadeStart = Number.isFinite(maxLength) && maxLength < sl.length ? length - CHOKE_FADE : to;
  const bodyEnd = Math.min(fadeStart, to);
  for (let i = from; i < bodyEnd; i++) {
    const l = sl[i]! * gl;
    const r = sr[i]! * gr;
    left[at + i]! += l;
    right[at + i]! += r;
    send[at + i]! += (l + r) * sendHalf;
  }
  for (let i = Math.max(from, bodyEnd); i < to; i++) {
    const fade = (length - i) / CHOKE_FADE;
    const l = sl[i]! * gl * fade;
    const r = sr[i]! * gr * fade;
    left[at + i]! += l;
    right[at + i]! += r;
    send[at + i]! += (l + r) * sendHalf;
  }
}

/** Mixes `count` samples of a rendered stereo scratch buffer in at sample `at`. */
export function addScratch(
  bus: MixBus,
  scratchLeft: Float32Array,
  scratchRight: Float32Array,
  count: number,
  at: number,
  place: Placement,
): void {
  const { left, right, send } = bus;
  const from = Math.max(0, -at);
  const to = Math.min(count, bus.length - at);
  const gl = place.gainLeft;
  const gr = place.gainRight;
  const sendHalf = place.send * 0.5;
  for (let i = from; i < to; i++) {
    const l = scratchLeft[i]! * gl;
    const r = scratchRight[i]! * gr;
    left[at + i]! += l;
    right[at + i]! += r;
    send[at + i]! += (l + r) * sendHalf;
  }
}
