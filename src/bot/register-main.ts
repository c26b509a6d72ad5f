// `minidj register` (bin/minidj.js runs this for it): deploys the bot's slash commands, whose definitions are the
// bot's own (src/bot/commands), so the offline CLI never imports the bot.
import { parseArgs } from 'node:util';
import { plural } from '../util/plural.ts';
import { readBotConfig } from './bot-config.ts';
import { registerCommands } from './register-commands.ts';
import { setting } from '../util/config.ts';

async function register(argv: string[]): Promise<number> {
  try {
    parseArgs({ args: argv, options: {}, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`minidj: ${(err as Error).message}\nRun \`minidj --help\` for usage.\n`);
    return 2;
  }
  const config = readBotConfig();
  if (!config.ok) {
    for (const p of config.problems) process.stderr.write(`minidj: ${p}\n`);
    return 1;
  }
  const { scope, count } = await registerCommands(config.config, setting('MINIDJ_DISCORD_API'));
  process.stdout.write(
    scope === 'guild'
      ? `Registered ${plural(count, 'command')} on server ${config.config.guildId}; they are available now.\n`
      : `Registered ${plural(count, 'command')} globally; Discord may take up to an hour to show them everywhere.\n`,
  );
  return 0;
}

try {
  process.exitCode = await register(process.argv.slice(3));
} catch (err) {
  process.stderr.write(`minidj: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
