import path from 'node:path';
import Keyv from 'keyv';
import type { KeyvStoreAdapter } from 'keyv';
import { withFastReads } from './keyv-fast-reads.ts';
import { minidjHome } from '../util/minidj-home.ts';

const DEFAULT_DB_FILE = 'data/minidj.sqlite';

export interface StoreTarget {
  kind: 'sqlite' | 'redis' | 'postgres';
  uri: string;
}

/**
 * MINIDJ_DB: empty for the embedded SQLite file (in MINIDJ_HOME, else the project folder), a file path or sqlite:// URL
 * (from where the command runs), or a redis:// / postgres:// URL.
 */
export function storeTarget(setting: string | undefined, cwd = process.cwd(), home = minidjHome()): StoreTarget {
  const value = setting?.trim() ?? '';
  if (value === '') return { kind: 'sqlite', uri: `sqlite://${path.resolve(home, DEFAULT_DB_FILE)}` };
  if (/^rediss?:\/\//i.test(value)) return { kind: 'redis', uri: value };
  if (/^postgres(ql)?:\/\//i.test(value)) return { kind: 'postgres', uri: value };
  if (/^sqlite:\/\//i.test(value))
    return { kind: 'sqlite', uri: `sqlite://${path.resolve(cwd, value.slice('sqlite://'.length))}` };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new Error(
      `MINIDJ_DB "${value}" is not supported: use a file path, sqlite://FILE, redis://HOST or postgres://HOST URL.`,
    );
  }
  return { kind: 'sqlite', uri: `sqlite://${path.resolve(cwd, value)}` };
}

async function adapterFor(target: StoreTarget): Promise<KeyvStoreAdapter> {
  switch (target.kind) {
    case 'sqlite': {
      const { SqliteKeyvStore } = await import('./sqlite-keyv-store.ts');
      return SqliteKeyvStore.open(target.uri.slice('sqlite://'.length));
    }
    case 'redis': {
      const { default: KeyvRedis } = await import('@keyv/redis');
      return new KeyvRedis(target.uri) as unknown as KeyvStoreAdapter;
    }
    case 'postgres': {
      const { default: KeyvPostgres } = await import('@keyv/postgres');
      return sharingThePool(new KeyvPostgres({ uri: target.uri }));
    }
  }
}

let postgresAdaptersOpen = 0;

/**
 * @keyv/postgres keeps one pool for the whole process and its `disconnect()` ends it for every store: closing the
 * guild store left the analysis store reading `undefined` (keyv swallows the error). The pool ends with the last one.
 */
function sharingThePool(adapter: { disconnect(): Promise<void> }): KeyvStoreAdapter {
  const endPool = adapter.disconnect.bind(adapter);
  let closed = false;
  postgresAdaptersOpen++;
  adapter.disconnect = async () => {
    if (closed) return;
    closed = true;
    if (--postgresAdaptersOpen === 0) await endPool();
  };
  return adapter as unknown as KeyvStoreAdapter;
}

export async function openKeyv(target: StoreTarget, namespace: string): Promise<Keyv> {
  const store = await adapterFor(target);
  const keyv = withFastReads(new Keyv({ store, namespace }));
  keyv.on('error', () => {
    // Surfaced by the failing call itself; without a listener keyv would crash the process on a lost connection.
  });
  return keyv;
}
