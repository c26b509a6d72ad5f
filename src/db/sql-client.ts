import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import sqlite3 from 'sqlite3';
import { BUSY_TIMEOUT_MS, retryWhileBusy } from './sqlite-busy.ts';

/**
 * The little SQL the library index needs, on SQLite (node-sqlite3, the embedded file) or PostgreSQL (`pg`). Statements
 * are written once with `?` placeholders (numbered `$n` for PostgreSQL here); the dialects differ only where a
 * caller asks `kind`.
 */
export interface SqlClient {
  readonly kind: 'sqlite' | 'postgres';
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Resolves to the number of rows changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Runs `fn` in one transaction (PostgreSQL: on one connection; SQLite: transactions one at a time). */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openSqliteClient(file: string): Promise<SqlClient> {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const opened = new sqlite3.Database(file, (error) => (error ? reject(error) : resolve(opened)));
  });
  db.configure('busyTimeout', BUSY_TIMEOUT_MS);
  const all = <T>(sql: string, params: readonly unknown[] = []): Promise<T[]> =>
    new Promise((resolve, reject) => db.all(sql, params, (error: Error | null, rows: T[]) => (error ? reject(error) : resolve(rows))));
  const run = (sql: string, params: readonly unknown[] = []): Promise<number> =>
    new Promise((resolve, reject) => {
      db.run(sql, params, function (this: sqlite3.RunResult, error: Error | null) {
        if (error) reject(error);
        else resolve(this.changes);
      });
    });
  // One connection: a second BEGIN while one is open would fail, so transactions queue.
  let chain: Promise<unknown> = Promise.resolve();
  const client: SqlClient = {
    kind: 'sqlite',
    all,
    run,
    transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
      const next = chain.then(async () => {
        await retryWhileBusy(() => run('BEGIN IMMEDIATE'));
        try {
          const result = await fn(client);
          await run('COMMIT');
          return result;
        } catch (error) {
          await run('ROLLBACK').catch(() => undefined);
          throw error;
        }
      });
      chain = next.catch(() => undefined);
      return next;
    },
    close: () => new Promise<void>((resolve, reject) => db.close((error) => (error ? reject(error) : resolve()))),
  };
  await retryWhileBusy(() => all('PRAGMA journal_mode = WAL'));
  return client;
}

/** `?` → `$1, $2, …` (the index's statements hold no `?` inside literals). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function postgresClient(query: (sql: string, params: unknown[]) => Promise<pg.QueryResult>, transaction: SqlClient['transaction'], close: () => Promise<void>): SqlClient {
  return {
    kind: 'postgres',
    all: async <T>(sql: string, params: readonly unknown[] = []) => (await query(numbered(sql), [...params])).rows as T[],
    run: async (sql, params = []) => (await query(numbered(sql), [...params])).rowCount ?? 0,
    transaction,
    close,
  };
}

export function openPostgresClient(url: string): SqlClient {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => {
    // An idle connection dropped: the pool replaces it, and a query on a dead server fails by itself.
  });
  const transaction = async <T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> => {
    const conn = await pool.connect();
    const tx = postgresClient((sql, params) => conn.query(sql, params), () => Promise.reject(new Error('nested transaction')), () => Promise.resolve());
    try {
      await conn.query('BEGIN');
      const result = await fn(tx);
      await conn.query('COMMIT');
      return result;
    } catch (error) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      conn.release();
    }
  };
  return postgresClient((sql, params) => pool.query(sql, params), transaction, () => pool.end());
}
