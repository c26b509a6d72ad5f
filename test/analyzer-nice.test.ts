import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyzerPool } from '../src/audio/analysis/analyzer-pool.ts';
import { writeSynthTrack } from '../src/synth/synth-cli.ts';
import { structureForBars } from '../src/synth/track-synth.ts';
import { LIVE_ANALYSIS_NICE, LIVE_RENDER_NICE, niceFromEnv } from '../src/util/live-priorities.ts';
import { descendants } from '../src/voice/process-cpu.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';

/** A thread's or process's niceness by its id, or undefined once it is gone. */
function niceOf(id: number): number | undefined {
  try {
    return getPriority(id);
  } catch {
    return undefined;
  }
}

/** A process's command line, or '' once it is gone. */
function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

describe.skipIf(process.platform !== 'linux')("the priorities of a bot's own work (Linux niceness)", () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let song: string;
  beforeAll(async () => {
    tmp = makeTempDir();
    song = path.join(tmp.dir, 'long.wav');
    await writeSynthTrack(song, { bpm: 124, key: 'A', scale: 'minor', seed: 3, sections: structureForBars(96) });
  }, 60_000);
  afterAll(() => tmp?.cleanup());

  it('renders yield to the audio cycle, analyses to the renders; an operator may say otherwise', () => {
    expect(LIVE_ANALYSIS_NICE).toBeGreaterThan(LIVE_RENDER_NICE);
    expect(LIVE_RENDER_NICE).toBeGreaterThan(0);
    expect(niceFromEnv('MINIDJ_RENDER_NICE', LIVE_RENDER_NICE, {})).toBe(LIVE_RENDER_NICE);
    expect(niceFromEnv('MINIDJ_RENDER_NICE', LIVE_RENDER_NICE, { MINIDJ_RENDER_NICE: '0' })).toBe(0);
    expect(niceFromEnv('MINIDJ_ANALYSIS_NICE', LIVE_ANALYSIS_NICE, { MINIDJ_ANALYSIS_NICE: '40' })).toBe(19);
    expect(niceFromEnv('MINIDJ_ANALYSIS_NICE', LIVE_ANALYSIS_NICE, { MINIDJ_ANALYSIS_NICE: 'high' })).toBe(
      LIVE_ANALYSIS_NICE,
    );
  });

  it('runs an analysis thread and its ffmpeg decoder at the niceness asked, nicer than the process, which keeps its own', async () => {
    const own = niceOf(process.pid)!;
    const asked = Math.min(19, own + 7);
    const pool = new AnalyzerPool({ size: 1, nice: 7 });
    const seen = { threads: new Set<number>(), children: new Set<number>() };
    let sampling = true;
    const sample = async (): Promise<void> => {
      while (sampling) {
        for (const tid of readdirSync(`/proc/${process.pid}/task`)) {
          const n = niceOf(Number(tid));
          if (n !== undefined) seen.threads.add(n);
        }
        for (const pid of descendants(process.pid)) {
          if (!commandOf(pid).includes('ffmpeg')) continue;
          const n = niceOf(pid);
          if (n !== undefined) seen.children.add(n);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    try {
      const sampled = sample();
      const analysis = await pool.analyze(song);
      sampling = false;
      await sampled;
      expect(analysis.bpm).toBeCloseTo(124, 0);
    } finally {
      sampling = false;
      await pool.close();
    }
    expect(niceOf(process.pid)).toBe(own);
    expect([...seen.threads]).toContain(asked);
    expect([...seen.children]).toEqual([asked]);
  }, 60_000);
});
