import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './log.ts';
import type { BotMetrics } from './metrics.ts';
import { allowedHostNames, hostNameOf } from './ops-hosts.ts';

export interface Health {
  ok: boolean;
  /** Shown in the body: what is up and what is not. */
  detail: Record<string, unknown>;
}

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

export interface OpsServerOptions {
  port: number;
  host?: string;
  /** `Host` names answered besides the loopback ones and `host` (MINIDJ_OPS_HOSTS). */
  allowedHosts?: readonly string[];
  metrics: BotMetrics;
  health: () => Health;
  /** Where refused requests and failed handlers are reported. */
  log?: Logger;
}

/** A scrape takes milliseconds: a client that has not sent its request by then is cut. */
const REQUEST_TIMEOUT_MS = 10_000;
/** How much of a request's target or Host is logged. */
const LOGGED_CHARS = 200;

/**
 * The operator's endpoints, one per process: `GET /healthz` (200 when healthy, 503 when not, with a JSON body saying
 * why) and `GET /metrics` (Prometheus text). Bound to loopback unless told otherwise: it is for the machine's own
 * scraper and orchestrator, not for the public. Nothing a client sends can throw out of it: a malformed target or a
 * `Host` not among the configured names is answered 400, a handler that fails 500, each logged.
 */
export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const hosts = allowedHostNames(opts.host, opts.allowedHosts);
  const server: Server = createServer(
    { requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS },
    (req, res) => {
      try {
        answer(req, res, hosts, opts);
      } catch (error) {
        fail(req, res, error, opts.log);
      }
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => opts.log?.error({ err: error }, 'ops endpoints: server error'));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function answer(req: IncomingMessage, res: ServerResponse, hosts: Set<string>, opts: OpsServerOptions): void {
  const host = hostNameOf(req.headers.host);
  if (!host || !hosts.has(host))
    return refuse(req, res, 'Host is not one of the names this endpoint answers', opts.log);
  const url = URL.parse(req.url ?? '', 'http://ops');
  if (!url) return refuse(req, res, 'malformed request target', opts.log);
  // An absolute-form target names the host too: it must be one of ours as well.
  if (!req.url?.startsWith('/') && !hosts.has(hostNameOf(url.host) ?? ''))
    return refuse(req, res, 'request target names another host', opts.log);
  if (req.method !== 'GET') {
    res.writeHead(405, { allow: 'GET' }).end();
    return;
  }
  if (url.pathname === '/healthz') {
    const h = opts.health();
    res
      .writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' })
      .end(JSON.stringify({ status: h.ok ? 'ok' : 'unhealthy', ...h.detail }));
    return;
  }
  if (url.pathname === '/metrics') {
    opts.metrics.registry
      .metrics()
      .then(
        (text) => res.writeHead(200, { 'content-type': opts.metrics.registry.contentType }).end(text),
        (error: unknown) => fail(req, res, error, opts.log),
      )
      .catch((error: unknown) => fail(req, res, error, opts.log));
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz or /metrics\n');
}

function described(req: IncomingMessage): Record<string, unknown> {
  return {
    method: req.method,
    target: req.url?.slice(0, LOGGED_CHARS),
    host: req.headers.host?.slice(0, LOGGED_CHARS),
    remote: req.socket.remoteAddress,
  };
}

function refuse(req: IncomingMessage, res: ServerResponse, reason: string, log: Logger | undefined): void {
  log?.warn({ ...described(req), reason }, 'ops endpoints: request refused (400)');
  res.writeHead(400, { 'content-type': 'text/plain', connection: 'close' }).end(`bad request: ${reason}\n`);
}

function fail(req: IncomingMessage, res: ServerResponse, error: unknown, log: Logger | undefined): void {
  log?.error({ ...described(req), err: error }, 'ops endpoints: handler failed (500)');
  if (res.headersSent) res.destroy();
  else res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error\n');
}
