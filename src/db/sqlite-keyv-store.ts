import { EventEmitter } from 'node:events';
import type { KeyvStoreAdapter } from 'keyv';
import { SqliteDatabase } from './sqlite-database.ts';

/** Keys read per step of an iteration. */
const PAGE = 500;

interface Row {
  key: string;
  value: string;
}

/** The keys of one namespace as a range of the primary key (`ns:` up to `ns;`); every key without one. */
function namespaceRange(namespace: string | undefined): { where: string; params: string[] } {
  return namespace
    ? { where: 'key >= ? AND key < ?', params: [`${namespace}:`, `${namespace};`] }
    : { where: 'key >= ?', params: [''] };
}

/**
 * keyv's store on node:sqlite, in @keyv/sqlite's table (`keyv`: key VARCHAR(255) PRIMARY KEY, value TEXT), so a store
 * written by earlier versions reads as it was.
 */
export class SqliteKeyvStore extends EventEmitter {
  readonly opts: { dialect: 'sqlite'; url: string; table: 'keyv' };
  namespace?: string;
  private readonly db: SqliteDatabase;
  private closed = false;

  private constructor(db: SqliteDatabase) {
    super();
    this.db = db;
    this.opts = { dialect: 'sqlite', url: `sqlite://${db.file}`, table: 'keyv' };
  }

  static async open(file: string): Promise<KeyvStoreAdapter> {
    const db = await SqliteDatabase.open(file, [
      'CREATE TABLE IF NOT EXISTS keyv(key VARCHAR(255) PRIMARY KEY, value TEXT )',
    ]);
    return new SqliteKeyvStore(db) as unknown as KeyvStoreAdapter;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.db.all<Row>('SELECT value FROM keyv WHERE key = ?', [key]))[0]?.value;
  }

  async getMany(keys: string[]): Promise<(string | undefined)[]> {
    const rows = await this.db.all<Row>('SELECT key, value FROM keyv WHERE key IN (SELECT value FROM json_each(?))', [
      JSON.stringify(keys),
    ]);
    const byKey = new Map(rows.map((r) => [r.key, r.value]));
    return keys.map((k) => byKey.get(k));
  }

  async set(key: string, value: string): Promise<void> {
    await this.db.run(
      'INSERT INTO keyv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
  }

  async delete(key: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM keyv WHERE key = ?', [key])) > 0;
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    return (
      (await this.db.run('DELETE FROM keyv WHERE key IN (SELECT value FROM json_each(?))', [JSON.stringify(keys)])) > 0
    );
  }

  async has(key: string): Promise<boolean> {
    return (await this.db.all('SELECT 1 FROM keyv WHERE key = ?', [key])).length > 0;
  }

  async clear(): Promise<void> {
    const { where, params } = namespaceRange(this.namespace);
    await this.db.run(`DELETE FROM keyv WHERE ${where}`, params);
  }

  /** Every entry of `namespace` (all, without one), in key order, a page at a time. */
  async *iterator(namespace?: string): AsyncGenerator<[string, string]> {
    const { where, params } = namespaceRange(namespace);
    let after: string | undefined;
    for (;;) {
      const rows =
        after === undefined
          ? await this.db.all<Row>(`SELECT key, value FROM keyv WHERE ${where} ORDER BY key LIMIT ?`, [...params, PAGE])
          : await this.db.all<Row>(`SELECT key, value FROM keyv WHERE ${where} AND key > ? ORDER BY key LIMIT ?`, [
              ...params,
              after,
              PAGE,
            ]);
      for (const r of rows) yield [r.key, r.value];
      if (rows.length < PAGE) return;
      after = rows.at(-1)!.key;
    }
  }

  async disconnect(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.close();
  }
}
