/** Parsers for the text that aubio-tools 0.4.9 prints; kept pure so they are testable without aubio. */

export interface AubioTempoLine {
  /** Undefined when aubio printed "unknown bpm" (fewer than two beats found). */
  bpm: number | undefined;
  /** aubio appends "(uncertain)" when its tempo rests on fewer than 10 beats. */
  uncertain: boolean;
}

/** `aubio tempo` prints one line: "125.08 bpm", "176.15 bpm (uncertain)" or "unknown bpm". */
export function parseAubioTempo(stdout: string): AubioTempoLine {
  for (const line of stdout.split('\n')) {
    const text = line.trim();
    if (text === 'unknown bpm') return { bpm: undefined, uncertain: true };
    const m = /^(\d+(?:\.\d+)?) bpm( \(uncertain\))?$/.exec(text);
    if (m) return { bpm: Number(m[1]), uncertain: m[2] !== undefined };
  }
  throw new Error(`aubio tempo printed no tempo line: "${stdout.trim().slice(0, 200)}"`);
}

/** `aubio beat -T seconds` prints one beat time per line (with a trailing tab). */
export function parseAubioBeats(stdout: string): number[] {
  const beats: number[] = [];
  for (const line of stdout.split('\n')) {
    const text = line.trim();
    if (text === '') continue;
    const t = Number(text);
    if (!Number.isFinite(t)) throw new Error(`aubio beat printed a line that is not a time: "${text.slice(0, 100)}"`);
    beats.push(t);
  }
  return beats;
}

/** 60 / median inter-beat interval; undefined with fewer than two beats. */
export function bpmFromBeats(beats: readonly number[]): number | undefined {
  if (beats.length < 2) return undefined;
  const intervals = beats
    .slice(1)
    .map((t, i) => t - beats[i]!)
    .sort((a, b) => a - b);
  const mid = Math.floor(intervals.length / 2);
  const median = intervals.length % 2 === 1 ? intervals[mid]! : (intervals[mid - 1]! + intervals[mid]!) / 2;
  return median > 0 ? 60 / median : undefined;
}
