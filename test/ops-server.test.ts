import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/ops/log.ts';
import { BotMetrics } from '../src/ops/metrics.ts';
import { startOpsServer } from '../src/ops/ops-server.ts';
import type { OpsServer } from '../src/ops/ops-server.ts';

let server: OpsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("the operator's endpoints", () => {
  it('serves /metrics in Prometheus text with the gauges read at scrape time and the counters as counted', async () => {
    let liveSets = 2;
    const metrics = new BotMetrics({ guilds: () => 7, liveSets: () => liveSets, analysisQueueDepth: () => 3, lateFrames: () => 0 });
    metrics.countTransition('blend', 'passed', false);
    metrics.countTransition('blend', 'passed', false);
    metrics.countTransition('cut', undefined, true);
    metrics.analysisSeconds.observe({ outcome: 'ok' }, 6.2);
    server = await startOpsServer({ port: 0, metrics, health: () => ({ ok: true, detail: {} }) });
    const read = async () => {
      const res = await fetch(`http://127.0.0.1:${server!.port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      return res.text();
    };
    let text = await read();
    expect(text).toMatch(/^minidj_guilds 7$/m);
    expect(text).toMatch(/^minidj_live_sets 2$/m);
    expect(text).toMatch(/^minidj_analysis_queue_depth 3$/m);
    expect(text).toMatch(/^minidj_transitions_total\{style="blend",check="passed"\} 2$/m);
    expect(text).toMatch(/^minidj_transition_fallback_cuts_total 1$/m);
    expect(text).toMatch(/^minidj_analysis_seconds_bucket\{le="8",outcome="ok"\} 1$/m);
    expect(text).toMatch(/^minidj_process_resident_memory_bytes \d+/m);
    liveSets = 5;
    text = await read();
    expect(text).toMatch(/^minidj_live_sets 5$/m);
  });

  it('answers /healthz 200 when healthy and 503 with the reason when not; other paths 404, other methods 405', async () => {
    let ready = true;
    const metrics = new BotMetrics({ guilds: () => 0, liveSets: () => 0, analysisQueueDepth: () => 0 });
    server = await startOpsServer({ port: 0, metrics, health: () => ({ ok: ready, detail: { gateway: ready ? 'ready' : 'disconnected' } }) });
    const base = `http://127.0.0.1:${server.port}`;
    let res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', gateway: 'ready' });
    ready = false;
    res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unhealthy', gateway: 'disconnected' });
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});

describe('the structured log', () => {
  it('writes one JSON object per line with its level, and drops what is below the level set', async () => {
    const out = new PassThrough();
    const lines: string[] = [];
    out.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
    const log = createLogger('info', out);
    log.debug('not shown');
    log.info({ guildId: '42', event: 'set-started' }, 'set started');
    log.error({ err: new Error('boom') }, 'render failed');
    await new Promise((r) => setImmediate(r));
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed).toHaveLength(2);
    expect(parsed[0]).toMatchObject({ level: 30, name: 'mini-dj', guildId: '42', event: 'set-started', msg: 'set started' });
    expect(parsed[1]).toMatchObject({ level: 50, msg: 'render failed' });
    expect((parsed[1]!.err as { message: string }).message).toBe('boom');
  });
});
