// The WAL checkpoints of one SQLite file, on a thread of their own (see wal-checkpointer.ts): every `everyMs`, a
// PASSIVE checkpoint on a connection of its own, which copies the WAL's committed pages into the database file and
// syncs both without waiting for, or holding up, the process's readers and writer.
import { parentPort, workerData } from 'node:worker_threads';
import { loadNodeSqlite } from './node-sqlite.ts';

export interface CheckpointWorkerData {
  file: string;
  everyMs: number;
}

const { file, everyMs } = workerData as CheckpointWorkerData;
const db = new (loadNodeSqlite().DatabaseSync)(file);
// A lock another connection holds is not waited for: the next round tries again.
db.exec('PRAGMA busy_timeout = 0');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');

function round(): void {
  try {
    checkpoint.all();
  } catch {
    // SQLITE_BUSY (another process checkpointing or recovering the WAL): the next round.
  }
}

// The WAL the writer has filled so far at once, then a round every `everyMs`.
round();
const timer = setInterval(round, everyMs);

parentPort!.on('message', (message: 'stop') => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort!.close();
});
