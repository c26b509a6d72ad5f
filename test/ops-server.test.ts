import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { BURST_LIMIT, reasonToStop } from '../src/ops/last-resort.ts';
import { createLogger } from '../src/ops/log.ts';
import { BotMetrics } from '../src/ops/metrics.ts';
import { allowedHostNames, hostNameOf } from '../src/ops/ops-hosts.ts';
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
    const metrics = new BotMetrics({
      guilds: () => 7,
      liveSets: () => liveSets,
      analysisQueueDepth: () => 3,
      lateFrames: () => 0,
    });
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
    server = await startOpsServer({
      port: 0,
      metrics,
      health: () => ({ ok: ready, detail: { gateway: ready ? 'ready' : 'disconnected' } }),
    });
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

/** One request as raw bytes (fetch cannot send a malformed target or another Host); resolves with the status code. */
function rawStatus(port: number, text: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    socket.on('data', (d: Buffer) => {
      answer += d.toString();
      if (answer.includes('\r\n')) {
        resolve(Number(/^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1]));
        socket.destroy();
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1])));
  });
}

function logInto(lines: Record<string, unknown>[]): ReturnType<typeof createLogger> {
  const out = new PassThrough();
  out.on('data', (d: Buffer) =>
    lines.push(
      ...d
        .toString()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    ),
  );
  return createLogger('info', out);
}

describe('the ops endpoints against hostile requests', () => {
  it('reads a Host value strictly: a name, an IPv4 or a bracketed IPv6 address, an optional port, nothing else', () => {
    expect(
      ['localhost:9464', '127.0.0.1', '[::1]:80', 'Metrics.Example.NET.', '10.0.0.5:9464'].map(hostNameOf),
    ).toEqual(['localhost', '127.0.0.1', '[::1]', 'metrics.example.net', '10.0.0.5']);
    for (const bad of [
      undefined,
      '',
      'evil@127.0.0.1',
      '127.0.0.1/metrics',
      '[::1',
      '[zz]:80',
      'a b',
      'x:99999999',
      '-a.example',
    ])
      expect(hostNameOf(bad)).toBeUndefined();
  });

  it('answers the loopback names, the address it listens on and the MINIDJ_OPS_HOSTS names; refuses a malformed list entry', () => {
    expect([...allowedHostNames(undefined)].sort()).toEqual(['127.0.0.1', '[::1]', 'localhost']);
    expect([...allowedHostNames('0.0.0.0', ['prometheus.lan', '10.0.0.5:9464'])].sort()).toEqual([
      '10.0.0.5',
      '127.0.0.1',
      '[::1]',
      'localhost',
      'prometheus.lan',
    ]);
    expect(allowedHostNames('fd00::7').has('[fd00::7]')).toBe(true);
    expect(() => allowedHostNames(undefined, ['metrics host'])).toThrow(
      /MINIDJ_OPS_HOSTS: "metrics host" is not a host name/,
    );
  });

  it('answers a malformed target, a foreign Host or target 400 and a failing handler 500, logs each, and serves on', async () => {
    const lines: Record<string, unknown>[] = [];
    let broken = false;
    const metrics = new BotMetrics({ guilds: () => 0, liveSets: () => 0, analysisQueueDepth: () => 0 });
    server = await startOpsServer({
      port: 0,
      metrics,
      allowedHosts: ['prometheus.lan'],
      log: logInto(lines),
      health: () => {
        if (broken) throw new Error('health check broke');
        return { ok: true, detail: {} };
      },
    });
    const get = (target: string, host: string) =>
      rawStatus(server!.port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    expect(await get('http://[', '127.0.0.1')).toBe(400);
    expect(await get('/metrics', 'rebind.attacker.example')).toBe(400);
    expect(await get('/metrics', 'evil@127.0.0.1')).toBe(400);
    expect(await get('http://rebind.attacker.example/healthz', 'localhost')).toBe(400);
    expect(await get('/healthz', 'prometheus.lan:9464')).toBe(200);
    expect(await get('http://localhost/healthz', 'localhost')).toBe(200);
    broken = true;
    expect(await get('/healthz', 'localhost')).toBe(500);
    broken = false;
    expect(await get('/healthz', '[::1]')).toBe(200);
    expect(lines.filter((l) => l.level === 40).map((l) => l.reason)).toEqual([
      'malformed request target',
      'Host is not one of the names this endpoint answers',
      'Host is not one of the names this endpoint answers',
      'request target names another host',
    ]);
    expect(lines.filter((l) => l.level === 50)).toMatchObject([
      { msg: 'ops endpoints: handler failed (500)', target: '/healthz', err: { message: 'health check broke' } },
    ]);
  });
});

describe('the last resort against errors nothing caught', () => {
  it('carries on while the process runs normally; stops while it starts or stops, in a burst, or when Node itself is broken', () => {
    expect(reasonToStop(new Error('a bug in a callback'), 1, true)).toBeUndefined();
    expect(reasonToStop('a rejection with a string', BURST_LIMIT, true)).toBeUndefined();
    expect(reasonToStop(new Error('x'), 1, false)).toBe('the process was starting or stopping');
    expect(reasonToStop(new Error('x'), BURST_LIMIT + 1, true)).toBe(`${BURST_LIMIT + 1} uncaught errors within 60 s`);
    expect(reasonToStop(Object.assign(new Error('x'), { code: 'ERR_INTERNAL_ASSERTION' }), 1, true)).toBe(
      "Node's own state is broken",
    );
    expect(reasonToStop(null, 1, true)).toBeUndefined();
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
    expect(parsed[0]).toMatchObject({
      level: 30,
      name: 'mini-dj',
      guildId: '42',
      event: 'set-started',
      msg: 'set started',
    });
    expect(parsed[1]).toMatchObject({ level: 50, msg: 'render failed' });
    expect((parsed[1]!.err as { message: string }).message).toBe('boom');
  });
});
