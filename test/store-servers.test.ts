import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackAnalysis } from '../src/audio/analysis-types.ts';
import { ANALYZER_VERSION } from '../src/audio/analyzer-version.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';

const hasRedis = spawnSync('bash', ['-c', 'command -v redis-server']).status === 0;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listening on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

const analysis = (): TrackAnalysis => ({
  analyzerVersion: ANALYZER_VERSION, durationSec: 200, bpm: 124, bpmConfidence: 0.9, beats: [0.5], beatPositions: [1], downbeats: [0.5], beatsPerBar: 4,
  key: 'D', scale: 'minor', camelot: '7A', keyStrength: 0.8, loudnessLufs: -9, loudnessRangeLu: 4, truePeakDb: -0.5, energy: [1],
  brightnessHz: 2000, timbre: { mfccMean: [1], mfccVar: [1] }, danceability: 1.4, phraseBars: 8, phrases: [0.5], segments: [], cues: { mixIn: 0.5, mixOut: 150 },
});

describe.skipIf(!hasRedis)('analysis store on a real Redis server (MINIDJ_DB=redis://…)', () => {
  let redis: ChildProcess;
  let url: string;
  beforeAll(async () => {
    const port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitForPort(port, 10_000);
    url = `redis://127.0.0.1:${port}`;
  });
  afterAll(() => {
    redis?.kill('SIGKILL');
  });

  it('stores, lists and reads back analyses by content hash', async () => {
    const store = await AnalysisStore.open(url);
    expect(store.target.kind).toBe('redis');
    await store.put({ hash: 'abc', sourceName: 'a.mp3', bytes: 5, analysis: analysis() });
    await store.close();
    const again = await AnalysisStore.open(url);
    expect((await again.get('abc'))?.analysis.camelot).toBe('7A');
    const hashes: string[] = [];
    for await (const r of again.entries()) hashes.push(r.hash);
    expect(hashes).toEqual(['abc']);
    await again.close();
  });
});
