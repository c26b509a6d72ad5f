import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { loadNodeSqlite } from './node-sqlite.ts';
import { BUSY_WAIT_MS, retryWhileBusy } from './sqlite-busy.ts';
import { WalCheckpointer } from './wal-checkpointer.ts';

/** What the statements bind: node:sqlite refuses `undefined` and booleans, which node-sqlite3 bound as NULL and 0/1. */
function bindable(params: readonly unknown[]): SQLInputValue[] {
  return params.map((p) => (p === undefined ? null : typeof p === 'boolean' ? Number(p) : (p as SQLInputValue)));
}

export interface SqliteStatements {
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Resolves to the number of rows changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

/** Prepared statements kept per connection (the index's statements with a list of `?` vary with the list's length). */
const STATEMENT_CACHE = 256;
/**
 * Writes on a file's connection before its WAL checkpoints move to a thread (wal-checkpointer.ts): a process that
 * writes a few records and exits (the CLI, most tests) starts none.
 */
const WRITES_BEFORE_CHECKPOINTER = 64;
/** SQLite's own threshold (pages in the WAL), which the writer checkpoints at when no thread does. */
const AUTOCHECKPOINT_PAGES = 1000;
/** With the thread running, the writer checkpoints only if the WAL grows past this (the thread fell far behind). */
const BACKSTOP_CHECKPOINT_PAGES = 10_000;

/**
 * One connection to a SQLite file, shared by every part of the store in this process (keyv's namespaces, the guild
 * state, the library index). node:sqlite runs each statement on the event loop, so a lock held by another connection
 * is waited for there (BUSY_WAIT_MS a try, see sqlite-busy.ts): one connection per process leaves only other
 * processes' locks to wait for. A transaction holds the connection: statements from elsewhere wait (asynchronously)
 * until it ends, so none slips into it.
 */
export class SqliteDatabase implements SqliteStatements {
  readonly file: string;
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();
  private users = 1;
  private held: Promise<void> | undefined;
  private writes = 0;
  private checkpointer: WalCheckpointer | undefined;

  private constructor(file: string, db: DatabaseSync) {
    this.file = file;
    this.db = db;
  }

  /**
   * Opens (or shares) the connection to `file`, in WAL mode, writers waiting for other processes' locks, and runs
   * `schema` (CREATE … IF NOT EXISTS) on it; a failure closes it again.
   */
  static async open(file: string, schema: readonly string[] = []): Promise<SqliteDatabase> {
    const database = await SqliteDatabase.connect(file);
    try {
      for (const statement of schema) await database.run(statement);
    } catch (error) {
      await database.close();
      throw error;
    }
    return database;
  }

  private static async connect(file: string): Promise<SqliteDatabase> {
    const key = file === ':memory:' ? undefined : path.resolve(file);
    const open = key === undefined ? undefined : shared.get(key);
    if (open) {
      open.users++;
      return open;
    }
    if (key !== undefined) mkdirSync(path.dirname(key), { recursive: true });
    const db = new (loadNodeSqlite().DatabaseSync)(key ?? ':memory:');
    const database = new SqliteDatabase(key ?? ':memory:', db);
    try {
      db.exec(`PRAGMA busy_timeout = ${BUSY_WAIT_MS}`);
      await retryWhileBusy(() => database.allNow('PRAGMA journal_mode = WAL'));
      // In WAL mode, NORMAL syncs at checkpoints only, not at every commit (FULL, the default, fsyncs the WAL in each:
      // bench:stall's 20 sets made 894 fsyncs on the event loop in 65 s, 3.27 s in all, up to 46 ms each at load 4-5).
      // The file stays consistent whatever happens; a power cut (not a crash of the process) may undo the last commits
      // before a checkpoint.
      db.exec('PRAGMA synchronous = NORMAL');
    } catch (error) {
      db.close();
      throw error;
    }
    if (key !== undefined) {
      // Another open of the same file may have finished first while this one waited for WAL.
      const raced = shared.get(key);
      if (raced) {
        db.close();
        raced.users++;
        return raced;
      }
      shared.set(key, database);
    }
    return database;
  }

  private statement(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= STATEMENT_CACHE) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private allNow<T>(sql: string, params: readonly unknown[] = []): T[] {
    return this.statement(sql).all(...bindable(params)) as T[];
  }

  private runNow(sql: string, params: readonly unknown[] = []): number {
    const changes = Number(this.statement(sql).run(...bindable(params)).changes);
    if (++this.writes === WRITES_BEFORE_CHECKPOINTER && this.file !== ':memory:') this.startCheckpointer();
    return changes;
  }

  /** The WAL's checkpoints to a thread; should it stop, back to the writer at SQLite's own threshold. */
  private startCheckpointer(): void {
    const lost = (error: Error): void => {
      this.checkpointer = undefined;
      if (!this.db.isOpen) return;
      this.db.exec(`PRAGMA wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
      process.emitWarning(`${error.message}: ${this.file}'s WAL is checkpointed by its writer`);
    };
    try {
      this.checkpointer = new WalCheckpointer(this.file, lost);
    } catch (error) {
      lost(new Error(`the WAL checkpoint thread did not start (${(error as Error).message})`));
      return;
    }
    this.db.exec(`PRAGMA wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
  }

  private async free(): Promise<void> {
    while (this.held) await this.held;
  }

  /**
   * Ahead of each statement: a turn of the event loop (timers, I/O), as node-sqlite3's thread pool gave, so a burst of
   * store calls (a /suggest, a resume) holds the loop one statement at a time rather than all of them; then this
   * process's transaction, if one is open, ends.
   */
  private async turn(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    await this.free();
  }

  all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return retryWhileBusy(
      () => this.allNow<T>(sql, params),
      () => this.turn(),
    );
  }

  run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return retryWhileBusy(
      () => this.runNow(sql, params),
      () => this.turn(),
    );
  }

  /** Runs `fn` in one write transaction (BEGIN IMMEDIATE), its statements through `tx`. */
  async transaction<T>(fn: (tx: SqliteStatements) => Promise<T>): Promise<T> {
    await this.free();
    let release = (): void => undefined;
    this.held = new Promise((resolve) => (release = resolve));
    try {
      await retryWhileBusy(() => this.runNow('BEGIN IMMEDIATE'));
      const tx: SqliteStatements = {
        all: <R>(sql: string, params?: readonly unknown[]) => Promise.resolve(this.allNow<R>(sql, params)),
        run: (sql, params) => Promise.resolve(this.runNow(sql, params)),
      };
      try {
        const result = await fn(tx);
        this.runNow('COMMIT');
        return result;
      } catch (error) {
        if (this.db.isTransaction) this.runNow('ROLLBACK');
        throw error;
      }
    } finally {
      this.held = undefined;
      release();
    }
  }

  /** Closes the connection when its last user closes it. */
  async close(): Promise<void> {
    if (this.users === 0 || --this.users > 0) return;
    await this.free();
    if (shared.get(this.file) === this) shared.delete(this.file);
    await this.checkpointer?.stop();
    this.statements.clear();
    this.db.close();
  }
}

const shared = new Map<string, SqliteDatabase>();
