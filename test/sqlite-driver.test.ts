import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GuildStore } from '../src/db/guild-store.ts';
import { openKeyv, storeTarget } from '../src/db/open-keyv.ts';
import { openSqliteClient } from '../src/db/sql-client.ts';
import { SqliteDatabase } from '../src/db/sqlite-database.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());
const root = path.resolve(import.meta.dirname, '..');

/** The longest the event loop went without running a 5 ms ticker, from now until `longest()` (which lets it run once more). */
function loopGaps(): { longest(): Promise<number> } {
  let last = performance.now();
  let longest = 0;
  const ticker = setInterval(() => {
    longest = Math.max(longest, performance.now() - last);
    last = performance.now();
  }, 5);
  return {
    async longest() {
      await new Promise((resolve) => setTimeout(resolve, 30));
      clearInterval(ticker);
      return longest;
    },
  };
}

describe('the SQLite store on node:sqlite', () => {
  it('opens without a warning on stderr (Node 22 marks node:sqlite experimental)', () => {
    const db = path.join(tmp.dir, 'quiet.sqlite');
    const script = `const { GuildStore } = await import(${JSON.stringify(path.join(root, 'src/db/guild-store.ts'))});
      const store = await GuildStore.open(${JSON.stringify(db)});
      await store.update('1', (s) => ({ ...s, playlist: [] }));
      await store.close();`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
  });

  it('reads a store that @keyv/sqlite (node-sqlite3) wrote: the same table and rows', async () => {
    const db = path.join(tmp.dir, 'old.sqlite');
    const raw = await SqliteDatabase.open(db);
    // @keyv/sqlite 4.0.8's table, as it created it, and rows in keyv's format.
    await raw.run('CREATE TABLE IF NOT EXISTS keyv(key VARCHAR(255) PRIMARY KEY, value TEXT )');
    await raw.run('INSERT INTO keyv (key, value) VALUES (?, ?)', [
      'feedback:f1',
      JSON.stringify({ value: { id: 'f1' }, expires: null }),
    ]);
    await raw.run('INSERT INTO keyv (key, value) VALUES (?, ?)', [
      'shared-library:hashes',
      JSON.stringify({ value: ['a1'] }),
    ]);
    await raw.close();
    const feedback = await openKeyv(storeTarget(db), 'feedback');
    expect(await feedback.get('f1')).toEqual({ id: 'f1' });
    const listed: unknown[] = [];
    for await (const [key, value] of feedback.iterator!(undefined)) listed.push([key, value]);
    expect(listed).toEqual([['f1', { id: 'f1' }]]);
    await feedback.disconnect();
    const shared = await openKeyv(storeTarget(db), 'shared-library');
    expect(await shared.get('hashes')).toEqual(['a1']);
    await shared.disconnect();
  });

  it('lists a namespace of more rows than one page, and no other namespace', async () => {
    const db = path.join(tmp.dir, 'pages.sqlite');
    const a = await openKeyv(storeTarget(db), 'feedback');
    const b = await openKeyv(storeTarget(db), 'feedbacks');
    await b.set('other', 1);
    const raw = await SqliteDatabase.open(db);
    await raw.transaction(async (tx) => {
      for (let i = 0; i < 1203; i++)
        await tx.run('INSERT INTO keyv (key, value) VALUES (?, ?)', [
          `feedback:k${String(i).padStart(4, '0')}`,
          JSON.stringify({ value: i }),
        ]);
    });
    await raw.close();
    let n = 0;
    for await (const [key, value] of a.iterator!(undefined)) {
      expect([key, value]).toEqual([`k${String(n).padStart(4, '0')}`, n]);
      n++;
    }
    expect(n).toBe(1203);
    await a.clear();
    expect(await b.get('other')).toBe(1);
    await Promise.all([a.disconnect(), b.disconnect()]);
  });

  it('lets another part of the store write while a transaction waits between statements (no lock wait in one process)', async () => {
    const db = path.join(tmp.dir, 'one-process.sqlite');
    const guilds = await GuildStore.open(db);
    const sql = await openSqliteClient(db);
    await sql.run('CREATE TABLE IF NOT EXISTS t (n INTEGER)');
    const started = Date.now();
    const transaction = sql.transaction(async (tx) => {
      await tx.run('INSERT INTO t (n) VALUES (1)');
      await new Promise((resolve) => setTimeout(resolve, 100));
      await tx.run('INSERT INTO t (n) VALUES (2)');
    });
    // A write from the guild store while the transaction holds the write lock: it waits for the commit.
    const write = guilds.update('42', (s) => ({ ...s, settings: { ...s.settings, pauseMinutes: 7 } }));
    await Promise.all([transaction, write]);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await guilds.get('42')).settings.pauseMinutes).toBe(7);
    expect(await sql.all('SELECT n FROM t ORDER BY n')).toEqual([{ n: 1 }, { n: 2 }]);
    await sql.close();
    await guilds.close();
  });

  it("waits for another process's write lock with the event loop free (50 ms at most at a time)", async () => {
    const db = path.join(tmp.dir, 'two-processes.sqlite');
    const guilds = await GuildStore.open(db);
    await guilds.update('7', (s) => ({ ...s, settings: { ...s.settings, pauseMinutes: 1 } }));
    // Another process takes the write lock and keeps it for 1 s.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `
      const db = new (require('node:sqlite').DatabaseSync)(${JSON.stringify(db)});
      db.exec('BEGIN IMMEDIATE');
      console.log('locked');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
      db.exec('COMMIT');`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    await once(holder.stdout, 'data');
    // The longest the event loop went without running a 5 ms ticker, the write's wait included.
    const gaps = loopGaps();
    const started = Date.now();
    await guilds.update('7', (s) => ({ ...s, settings: { ...s.settings, pauseMinutes: 2 } }));
    const waited = Date.now() - started;
    const longest = await gaps.longest();
    expect(waited).toBeGreaterThan(500);
    expect(longest).toBeLessThan(250);
    expect((await guilds.get('7')).settings.pauseMinutes).toBe(2);
    await guilds.close();
  });

  it('lets the event loop turn between the statements of a burst of store calls', async () => {
    const db = path.join(tmp.dir, 'burst.sqlite');
    const keyv = await openKeyv(storeTarget(db), 'analysis');
    await keyv.set('a', { big: 'x'.repeat(20_000) });
    const gaps = loopGaps();
    // Reads for 600 ms, however fast the machine: the burst lasts far longer than any gap the loop may have.
    const started = performance.now();
    let reads = 0;
    while (performance.now() - started < 600) {
      await keyv.get('a');
      reads++;
    }
    const longest = await gaps.longest();
    expect(reads).toBeGreaterThan(100);
    expect(longest).toBeLessThan(100);
    await keyv.disconnect();
  });
});
