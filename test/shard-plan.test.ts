import { describe, expect, it } from 'vitest';
import { readShardPlan } from '../src/bot/sharding/shard-plan.ts';
import { shardOf } from '../src/bot/sharding/shard-of.ts';

describe('which shards a machine runs', () => {
  it('puts a guild on (guild_id >> 22) % shardCount, as Discord does', () => {
    expect(shardOf('222222222222222222', 2)).toBe(1);
    expect(shardOf('232222222222222222', 2)).toBe(0);
    expect(shardOf('81384788765712384', 1)).toBe(0);
    // The timestamp bits above 22 pick the shard; the low 22 (worker, process, increment) do not.
    expect(shardOf(String((5n << 22n) | 0x3fffffn), 16)).toBe(5);
    expect(shardOf(String(5n << 22n), 4)).toBe(1);
  });

  it('runs every shard Discord recommends by default, or those the operator lists out of a fixed total', () => {
    expect(readShardPlan({})).toEqual({ ok: true, plan: { count: 'auto', list: 'auto' } });
    expect(readShardPlan({ MINIDJ_SHARD_COUNT: '4' })).toEqual({ ok: true, plan: { count: 4, list: 'auto' } });
    expect(readShardPlan({ MINIDJ_SHARD_COUNT: '4', MINIDJ_SHARDS: '2, 3,3' })).toEqual({
      ok: true,
      plan: { count: 4, list: [2, 3] },
    });
  });

  it('refuses a list without a total, ids outside it, and a count that is not one', () => {
    expect(readShardPlan({ MINIDJ_SHARDS: '0,1' })).toMatchObject({
      ok: false,
      problem: expect.stringContaining('MINIDJ_SHARD_COUNT is not'),
    });
    expect(readShardPlan({ MINIDJ_SHARD_COUNT: '2', MINIDJ_SHARDS: '1,2' })).toMatchObject({
      ok: false,
      problem: expect.stringContaining('from 0 to 1'),
    });
    expect(readShardPlan({ MINIDJ_SHARD_COUNT: '0' })).toMatchObject({ ok: false });
    expect(readShardPlan({ MINIDJ_SHARD_COUNT: 'two' })).toMatchObject({ ok: false });
  });
});
