import { setting } from '../../util/config.ts';

/**
 * Which shards `npm start` runs on this machine. By default every shard, as many as Discord recommends
 * (`/gateway/bot`); `MINIDJ_SHARD_COUNT` fixes the total and `MINIDJ_SHARDS` (e.g. `0,1`) runs only those, so M
 * machines split one bot's shards between them against one shared store.
 */
export interface ShardPlan {
  /** 'auto': ask Discord. */
  count: number | 'auto';
  /** 'auto': every shard of the count. */
  list: number[] | 'auto';
}

export type ShardPlanResult = { ok: true; plan: ShardPlan } | { ok: false; problem: string };

const COUNT_HELP =
  'MINIDJ_SHARD_COUNT is the total number of shards of the bot across every machine (a whole number ≥ 1), the same on each.';

export function readShardPlan(env: NodeJS.ProcessEnv = process.env): ShardPlanResult {
  let count: number | 'auto';
  try {
    count = setting('MINIDJ_SHARD_COUNT', env) ?? 'auto';
  } catch (error) {
    return { ok: false, problem: `${(error as Error).message} ${COUNT_HELP}` };
  }
  const ids = setting('MINIDJ_SHARDS', env);
  if (ids.length === 0) return { ok: true, plan: { count, list: 'auto' } };
  const listText = ids.join(',');
  if (count === 'auto') {
    return {
      ok: false,
      problem: `MINIDJ_SHARDS is set but MINIDJ_SHARD_COUNT is not: machines sharing the shards must agree on their total. ${COUNT_HELP}`,
    };
  }
  const list = ids.map(Number);
  const bad = list.find((id) => !(Number.isInteger(id) && id >= 0 && id < count));
  if (bad !== undefined)
    return {
      ok: false,
      problem: `MINIDJ_SHARDS "${listText}" must list shard ids from 0 to ${count - 1} (MINIDJ_SHARD_COUNT ${count}), separated by commas.`,
    };
  return { ok: true, plan: { count, list: [...new Set(list)] } };
}
