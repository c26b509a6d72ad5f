import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/* Throwaway Redis and PostgreSQL servers on loopback, for the store tests and bench:scale. */

const onPath = (command: string): boolean => spawnSync('bash', ['-c', `command -v ${command}`]).status === 0;
export const hasRedis = onPath('redis-server');
// PostgreSQL refuses to run as root: as root, the cluster belongs to Debian's `postgres` user.
const isRoot = process.getuid?.() === 0;
const postgresUid = isRoot
  ? Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim() || NaN)
  : undefined;
/** Debian keeps PostgreSQL's server programs off PATH, in /usr/lib/postgresql/<version>/bin. */
function postgresProgram(name: string): string | undefined {
  if (onPath(name)) return name;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.map((v) => path.join(root, v, 'bin', name)).find((file) => existsSync(file));
}
const initdb = postgresProgram('initdb');
const postgres = postgresProgram('postgres');
export const hasPostgres = initdb !== undefined && postgres !== undefined && (!isRoot || Number.isInteger(postgresUid));

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Listening is not yet ready: PostgreSQL answers "the database system is starting up" for a moment. */
async function waitForConnections(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
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

export interface Server {
  url: string;
  /** The URL of another, empty store on the same server (a Redis database number, a PostgreSQL database). */
  emptyStore(): Promise<string>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<Server> {
  const port = await freePort();
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  await waitForPort(port, 10_000);
  let databases = 0;
  // Redis has 16 numbered databases by default; the tests use 0 and a few more.
  const emptyStore = () => Promise.resolve(`redis://127.0.0.1:${port}/${++databases}`);
  return { url: `redis://127.0.0.1:${port}`, emptyStore, stop: () => stopProcess(redis, 'SIGKILL') };
}

/** A throwaway cluster in a temp dir, trusted on loopback, without fsync. */
export async function startPostgres(): Promise<Server> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'minidj-pg-'));
  // setpriv execs (no fork), so signals reach PostgreSQL itself.
  const asOwner = (command: string): [string, string[]] =>
    isRoot ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', command]] : [command, []];
  if (isRoot) chownSync(dir, postgresUid!, -1);
  const data = path.join(dir, 'data');
  const [initCmd, initPre] = asOwner(initdb!);
  const init = spawnSync(initCmd, [...initPre, '-D', data, '-A', 'trust', '-U', 'minidj', '--no-sync'], {
    encoding: 'utf8',
  });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const [pgCmd, pgPre] = asOwner(postgres!);
  const server = spawn(pgCmd, [...pgPre, '-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-F'], {
    stdio: 'ignore',
  });
  await waitForPort(port, 20_000);
  const url = `postgres://minidj@127.0.0.1:${port}/postgres`;
  await waitForConnections(url, 20_000);
  let databases = 0;
  return {
    url,
    async emptyStore() {
      const name = `minidj_${++databases}`;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://minidj@127.0.0.1:${port}/${name}`;
    },
    stop: async () => {
      // SIGTERM is PostgreSQL's smart shutdown: it waits for the clients to go. Fast shutdown (SIGINT) sent a FATAL
      // message to a pg client still closing its socket, an uncaught error in the test run; it is the fallback.
      // (SIGKILL would leave the backends behind.)
      const fallback = setTimeout(() => server.kill('SIGINT'), 10_000);
      await stopProcess(server, 'SIGTERM');
      clearTimeout(fallback);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}
