import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AnalyzerBusyError,
  AnalyzerPool,
  MAX_WAITING,
  MAX_WAITING_PER_OWNER,
} from '../src/audio/analysis/analyzer-pool.ts';
import type { JobStatus } from '../src/audio/analysis/analyzer-pool.ts';
import { ffmpegMake, makeTempDir } from './helpers/ffmpeg-fixtures.ts';

let tmp: ReturnType<typeof makeTempDir>;
let pulse: string;
beforeAll(() => {
  tmp = makeTempDir();
  pulse = ffmpegMake(path.join(tmp.dir, 'pulse.wav'), [
    '-f',
    'lavfi',
    '-i',
    "aevalsrc='0.5*sin(2*PI*110*t)*exp(-8*mod(t,0.5))':s=44100:d=2",
  ]);
});
afterAll(() => tmp.cleanup());

describe('the analysis queue', () => {
  it('serves two servers flooding it in turn, and tells each job where it stands', async () => {
    const pool = new AnalyzerPool({ size: 1 });
    const finished: string[] = [];
    const statuses = new Map<string, JobStatus[]>();
    const job = (owner: string, n: number) => {
      const name = `${owner}${n}`;
      statuses.set(name, []);
      return pool
        .analyze(pulse, { owner, onStatus: (s) => statuses.get(name)!.push(s) })
        .then(() => void finished.push(name));
    };
    try {
      // Server A sends three at once, then server B three: B does not wait behind all of A's.
      const all = [job('A', 1), job('A', 2), job('A', 3), job('B', 1), job('B', 2), job('B', 3)];
      await Promise.all(all);
      expect(finished).toEqual(['A1', 'B1', 'A2', 'B2', 'A3', 'B3']);
      // B3 was queued behind four jobs (A2, B1… in turn: B1 A2 B2 A3), then moved up to analysing.
      expect(statuses.get('B3')![0]).toEqual({ state: 'queued', ahead: 4 });
      expect(statuses.get('B3')!.at(-1)).toEqual({ state: 'analysing' });
      const aheads = statuses.get('B3')!.flatMap((s) => (s.state === 'queued' ? [s.ahead] : []));
      expect(aheads).toEqual([...aheads].sort((a, b) => b - a));
      expect(statuses.get('A1')).toEqual([{ state: 'analysing' }]);
    } finally {
      await pool.close();
    }
  });

  it("refuses a server's job past its share of the queue instead of queueing without end", async () => {
    const pool = new AnalyzerPool({ size: 1 });
    try {
      const accepted = Array.from({ length: MAX_WAITING_PER_OWNER + 1 }, () => pool.analyze(pulse, { owner: 'A' }));
      const refused = pool.analyze(pulse, { owner: 'A' });
      await expect(refused).rejects.toBeInstanceOf(AnalyzerBusyError);
      await expect(refused).rejects.toThrow(`${MAX_WAITING_PER_OWNER} songs from this server are already waiting`);
      // Another server still gets in.
      const other = pool.analyze(pulse, { owner: 'B' });
      expect(pool.waiting()).toBe(MAX_WAITING_PER_OWNER + 1);
      await Promise.all([...accepted, other]);
    } finally {
      await pool.close();
    }
  });

  it("cannot be filled by 17 servers flooding it so that an 18th server's first song is refused", async () => {
    const pool = new AnalyzerPool({ size: 1 });
    const outcomes = new Map<string, string[]>();
    const flood = (owner: string) =>
      pool.analyze(pulse, { owner }).then(
        () => void outcomes.get(owner)!.push('analysed'),
        // Refused or let go (busy), or ended by the pool's close below.
        (e: Error) => void outcomes.get(owner)!.push(e instanceof AnalyzerBusyError ? e.message : 'ended'),
      );
    try {
      // Each server sends 4 songs at once (its downloads in flight); 17 × 4 = 68 against 64 places.
      const floods = Array.from({ length: 17 }, (_, s) => `flood-${s}`).flatMap((owner) => {
        outcomes.set(owner, []);
        return Array.from({ length: 4 }, () => flood(owner));
      });
      expect(pool.waiting()).toBeLessThanOrEqual(MAX_WAITING);
      const t0 = performance.now();
      let queued: { afterMs: number; ahead: number } | undefined;
      const first = pool.analyze(pulse, {
        owner: 'victim',
        onStatus: (st) =>
          void (queued ??= { afterMs: performance.now() - t0, ahead: st.state === 'queued' ? st.ahead : 0 }),
      });
      const victim = first.then(
        () => 'analysed',
        (e: Error) => e.message,
      );
      // Three more servers' first songs get in too, and the places stay bounded.
      const others = ['late-1', 'late-2', 'late-3'].map((owner) =>
        pool.analyze(pulse, { owner }).then(
          () => 'analysed',
          (e: Error) => e.message,
        ),
      );
      expect(pool.waiting()).toBeLessThanOrEqual(MAX_WAITING);
      // Queued, in the first round of turns: behind at most one song of each of the 16 other waiting servers.
      expect(queued?.ahead).toBeLessThanOrEqual(16);
      console.log(
        `victim's first song queued in ${queued!.afterMs.toFixed(2)} ms (${queued!.ahead} ahead) while 17 servers flood ${MAX_WAITING} places`,
      );
      await pool.close();
      await Promise.all(floods);
      expect(await Promise.all([victim, ...others])).toEqual(Array(4).fill('the analyzer pool was closed'));
      // The flooding servers' songs past their share were let go or refused, each with a message that says why.
      const said = [...outcomes.values()].flat();
      expect(said.filter((m) => m.includes('this song made room for another server')).length).toBeGreaterThan(0);
      expect(said.filter((m) => m !== 'ended' && m !== 'analysed').every((m) => /share|made room/.test(m))).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('ends the song being analysed when it closes, saying so', async () => {
    const pool = new AnalyzerPool({ size: 1 });
    const running = pool.analyze(pulse).then(
      () => 'analysed',
      (e: Error) => e.message,
    );
    await pool.close();
    expect(await running).toBe('the analyzer pool was closed');
  });

  it('uses one worker per core by default', async () => {
    const pool = new AnalyzerPool();
    try {
      const { availableParallelism } = await import('node:os');
      const jobs = Array.from({ length: availableParallelism() }, () => pool.analyze(pulse));
      // Every job went straight to a worker of its own: none waits.
      expect(pool.waiting()).toBe(0);
      await Promise.all(jobs);
    } finally {
      await pool.close();
    }
  });
});
