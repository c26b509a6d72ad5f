import pg from 'pg';
import { SqliteDatabase } from './sqlite-database.ts';
import type { SqliteStatements } from './sqlite-database.ts';

/**
 * The little SQL the library index needs, on SQLite (node:sqlite, the embedded file) or PostgreSQL (`pg`). Statements
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

function sqliteClient(
  statements: SqliteStatements,
  transaction: SqlClient['transaction'],
  close: () => Promise<void>,
): SqlClient {
  return {
    kind: 'sqlite',
    all: (sql, params) => statements.all(sql, params),
    run: (sql, params) => statements.run(sql, params),
    transaction,
    close,
  };
}

/** The file's connection, shared with the rest of the store in this process (see SqliteDatabase). */
export async function openSqliteClient(file: string): Promise<SqlClient> {
  const db = await SqliteDatabase.open(file);
  let closed = false;
  const nested = (): Promise<never> => Promise.reject(new Error('nested transaction'));
  const transaction = <T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> =>
    db.transaction((tx) => fn(sqliteClient(tx, nested, () => Promise.resolve())));
  return sqliteClient(db, transaction, async () => {
    if (closed) return;
    closed = true;
    await db.close();
  });
}

/** `?` → `$1, $2, …` (the index's statements hold no `?` inside literals). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function postgresClient(
  query: (sql: string, params: unknown[]) => Promise<pg.QueryResult>,
  transaction: SqlClient['transaction'],
  close: () => Promise<void>,
): SqlClient {
  return {
    kind: 'postgres',
    all: async <T>(sql: string, params: readonly unknown[] = []) =>
      (await query(numbered(sql), [...params])).rows as T[],
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
    const tx = postgresClient(
      (sql, params) => conn.query(sql, params),
      () => Promise.reject(new Error('nested transaction')),
      () => Promise.resolve(),
    );
    try {
      await conn.query('BEGIN');
      const result = await fn(tx);
      await conn.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that failed cannot roll back (the server does on disconnect): the first error is the one thrown.
      await conn.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      conn.release();
    }
  };
  return postgresClient(
    (sql, params) => pool.query(sql, params),
    transaction,
    () => pool.end(),
  );
}
