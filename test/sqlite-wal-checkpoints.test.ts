import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());
const root = path.resolve(import.meta.dirname, '..');

/**
 * 64 small writes (the WAL far below SQLite's own 1,000-page checkpoint), then 60 rows of 100 KB (1,500 pages): only
 * a checkpoint other than the writer's 1,000-page one puts them all in the database file. Prints what it saw.
 */
function writerScript(db: string): string {
  return `import { statSync, existsSync } from 'node:fs';
    const { SqliteDatabase } = await import(${JSON.stringify(path.join(root, 'src/db/sqlite-database.ts'))});
    const db = await SqliteDatabase.open(${JSON.stringify(db)}, ['CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)']);
    for (let i = 0; i < 64; i++) await db.run('INSERT OR REPLACE INTO t VALUES (?, ?)', [0, 'small ' + i]);
    for (let i = 1; i <= 60; i++) await db.run('INSERT INTO t VALUES (?, ?)', [i, String(i).padEnd(100_000, '.')]);
    const [{ synchronous }] = await db.all('PRAGMA synchronous');
    const [{ wal_autocheckpoint }] = await db.all('PRAGMA wal_autocheckpoint');
    const start = Date.now();
    while (statSync(${JSON.stringify(db)}).size < 6_000_000 && Date.now() - start < 10_000) await new Promise((r) => setTimeout(r, 50));
    const dbBytes = statSync(${JSON.stringify(db)}).size;
    await db.close();
    console.log(JSON.stringify({ synchronous, wal_autocheckpoint, dbBytes, walLeft: existsSync(${JSON.stringify(`${db}-wal`)}) }));`;
}

describe("the SQLite store's commits and WAL checkpoints", () => {
  it('commits without a sync, and once a connection has written 64 times its WAL is checkpointed on a thread, which closes with the store', () => {
    // As the bot runs (a script, with a V8 flag the worker must inherit, not be given) and as a script run with -e.
    const file = path.join(tmp.dir, 'writer.mjs');
    writeFileSync(file, writerScript(path.join(tmp.dir, 'file.sqlite')));
    const runs = [
      ['--max-semi-space-size=32', file],
      ['--max-semi-space-size=32', '--input-type=module', '-e', writerScript(path.join(tmp.dir, 'eval.sqlite'))],
    ];
    for (const args of runs) {
      const run = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 30_000 });
      // Nothing on stderr: no warning that the thread stopped or did not start, nor node:sqlite's from the thread.
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const result = JSON.parse(run.stdout) as {
        synchronous: number;
        wal_autocheckpoint: number;
        dbBytes: number;
        walLeft: boolean;
      };
      // NORMAL: in WAL mode, no fsync at each commit (FULL's), only at checkpoints.
      expect(result.synchronous).toBe(1);
      // The writer's own checkpoints are only a backstop once the thread runs.
      expect(result.wal_autocheckpoint).toBe(10_000);
      // The 6 MB of rows reached the database file: the thread checkpointed the WAL.
      expect(result.dbBytes).toBeGreaterThan(6_000_000);
      // The thread closed its connection before the store's: the last connection's close removes the WAL.
      expect(result.walLeft).toBe(false);
    }
  });
});
