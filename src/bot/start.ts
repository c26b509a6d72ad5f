// `npm start`: the sharding manager. It runs one bot process (src/bot/main.ts) per gateway shard — as many as Discord
// recommends, or those MINIDJ_SHARDS / MINIDJ_SHARD_COUNT give this machine — and restarts any that dies.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { ShardingManager } from 'discord.js';
import { installLastResort } from '../ops/last-resort.ts';
import { createLogger } from '../ops/log.ts';
import { configProblems, setting } from '../util/config.ts';
import { readBotConfig } from './bot-config.ts';
import { recommendedShardCount } from './sharding/gateway-shards.ts';
import { SHARD_NODE_FLAGS } from './sharding/shard-node-flags.ts';
import { respawnDeadShards } from './sharding/shard-respawn.ts';
import { readShardPlan } from './sharding/shard-plan.ts';

const config = readBotConfig();
const plan = readShardPlan();
const settingProblems = configProblems();
if (!config.ok || !plan.ok || settingProblems.length) {
  const problems = [...(config.ok ? [] : config.problems), ...(plan.ok ? [] : [plan.problem]), ...settingProblems];
  process.stderr.write(`Mini-DJ cannot start:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}
const log = createLogger();

const api = setting('MINIDJ_DISCORD_API');
let count: number;
try {
  count = plan.plan.count === 'auto' ? await recommendedShardCount(config.config.token, api) : plan.plan.count;
} catch (error) {
  log.fatal(
    { err: error },
    `Mini-DJ cannot start: asking Discord how many shards the bot needs failed: ${(error as Error).message}`,
  );
  process.exit(1);
}

const manager = new ShardingManager(fileURLToPath(new URL('./main.ts', import.meta.url)), {
  token: config.config.token,
  totalShards: count,
  shardList: plan.plan.list,
  // Restarts are ours (respawnDeadShards), with a back-off.
  respawn: false,
  // The shard processes run on the same Node with the same flags (an env file, a preload), and their own V8 flags.
  execArgv: [...process.execArgv, ...SHARD_NODE_FLAGS],
});
let stopping = false;
respawnDeadShards(manager, () => !stopping, {
  spawned: (shard, pid) =>
    log.info({ shard: shard.id, shardCount: count, shardPid: pid }, `shard ${shard.id} of ${count} started`),
  died: (shard, exit, respawnInMs) =>
    log.error(
      { shard: shard.id, ...exit, respawnInMs },
      `shard ${shard.id}'s process died: restarting it; its sets resume from their saved positions`,
    ),
  failed: (shard, error) => log.error({ shard: shard.id, err: error }, `shard ${shard.id} could not be restarted`),
});

/** Each shard process fades its sets out and saves them (a Ctrl-C reaches them too); then the manager exits. */
async function stopShards(signal: string, exitCode = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping the shard processes');
  const children = [...manager.shards.values()]
    .map((s) => s.process)
    .filter((c): c is ChildProcess => c !== null && c.exitCode === null && c.signalCode === null);
  for (const child of children) child.kill('SIGTERM');
  const deadline = setTimeout(
    () => {
      for (const child of children) child.kill('SIGKILL');
    },
    1000 * setting('MINIDJ_SHUTDOWN_DEADLINE_SEC') + 5000,
  );
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? once(c, 'exit') : undefined)));
  clearTimeout(deadline);
  log.info('Mini-DJ stopped');
  process.exit(exitCode);
}
process.on('SIGINT', () => void stopShards('SIGINT'));
process.on('SIGTERM', () => void stopShards('SIGTERM'));
// The shards' processes stop when their manager does (every set of the machine with them): it carries on when it can.
installLastResort({
  log,
  running: () => !stopping,
  stop: (reason) => void stopShards(`uncaught error: ${reason}`, 1),
  carriesOn: 'the shard processes run on',
});

const list = plan.plan.list === 'auto' ? [...Array(count).keys()] : plan.plan.list;
log.info(
  { shards: list, shardCount: count },
  `Mini-DJ starts shard${list.length === 1 ? '' : 's'} ${list.join(', ')} of ${count}`,
);
// One shard at a time, each once it is ready (Discord's identify limit), as discord.js does.
const up = await manager.spawn({ amount: count, timeout: 120_000 }).then(
  () => true,
  (error: unknown) => {
    // Stopped (Ctrl-C) while starting: stopShards exits once the shard processes have.
    if (stopping) return false;
    log.fatal(
      { err: error },
      `Mini-DJ cannot start: a shard process did not come up (${(error as Error).message}); its log says why`,
    );
    stopping = true;
    for (const shard of manager.shards.values()) shard.process?.kill('SIGTERM');
    process.exit(1);
  },
);
if (up) log.info({ shards: list, shardCount: count }, 'every shard of this machine is up');
