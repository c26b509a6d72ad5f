import type { ChildProcess } from 'node:child_process';
import type { Worker } from 'node:worker_threads';
import type { Shard, ShardingManager } from 'discord.js';

/** A shard process that lived this long before dying is restarted at once; one that keeps dying waits longer each time. */
const STABLE_MS = 60_000;
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;

export interface RespawnEvents {
  spawned(shard: Shard, pid: number | undefined): void;
  died(shard: Shard, exit: { code: number | null; signal: NodeJS.Signals | null }, respawnInMs: number): void;
  failed(shard: Shard, error: unknown): void;
}

/**
 * Restarts every shard process of `manager` that exits while `active()` holds (discord.js's own respawn would restart
 * one that fails at start in a tight loop): at once after a stable run, else after 1, 2, 4 … 30 s. The restarted
 * process resumes its guilds' sets from their saved positions.
 */
export function respawnDeadShards(manager: ShardingManager, active: () => boolean, events: RespawnEvents): void {
  manager.on('shardCreate', (shard: Shard) => {
    let spawnedAt = Date.now();
    let delay = 0;
    // The manager runs shards as processes ('process' mode).
    shard.on('spawn', (child: ChildProcess | Worker) => {
      spawnedAt = Date.now();
      events.spawned(shard, (child as ChildProcess).pid);
    });
    shard.on('death', (died: ChildProcess | Worker) => {
      const child = died as ChildProcess;
      if (!active()) return;
      delay = Date.now() - spawnedAt >= STABLE_MS ? 0 : Math.min(MAX_DELAY_MS, Math.max(FIRST_DELAY_MS, delay * 2));
      events.died(shard, { code: child.exitCode, signal: child.signalCode }, delay);
      setTimeout(() => {
        if (active()) shard.spawn(-1).catch((error: unknown) => events.failed(shard, error));
      }, delay);
    });
  });
}
