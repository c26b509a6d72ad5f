import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventEmitter } from 'node:events';
import type { Shard, ShardingManager } from 'discord.js';
import { respawnDeadShards } from '../src/bot/sharding/shard-respawn.ts';

/** A shard whose process can be made to start and die, as discord.js's Shard emits it. */
class FakeShard extends EventEmitter {
  readonly id = 3;
  spawns = 0;
  async spawn(): Promise<void> {
    this.spawns += 1;
    this.emit('spawn', { pid: 1000 + this.spawns });
  }
  die(): void {
    this.emit('death', { exitCode: null, signalCode: 'SIGKILL' });
  }
}

afterEach(() => vi.useRealTimers());

describe('restarting dead shard processes', () => {
  it('restarts one that ran a minute at once, and one that keeps dying after 1, 2, 4 … 30 s; none while stopping', async () => {
    vi.useFakeTimers();
    const manager = new EventEmitter();
    const delays: number[] = [];
    let active = true;
    respawnDeadShards(manager as unknown as ShardingManager, () => active, {
      spawned: () => undefined,
      died: (_shard, exit, respawnInMs) => {
        expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
        delays.push(respawnInMs);
      },
      failed: () => undefined,
    });
    const shard = new FakeShard();
    manager.emit('shardCreate', shard as unknown as Shard);
    await shard.spawn();
    await vi.advanceTimersByTimeAsync(61_000);
    for (let i = 0; i < 7; i++) {
      shard.die();
      await vi.advanceTimersByTimeAsync(delays.at(-1)!);
    }
    expect(delays).toEqual([0, 1000, 2000, 4000, 8000, 16_000, 30_000]);
    expect(shard.spawns).toBe(8);
    active = false;
    shard.die();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(shard.spawns).toBe(8);
  });
});
