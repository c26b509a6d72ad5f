import { readBotConfig } from '../bot/bot-config.ts';
import { registerCommands } from '../bot/register-commands.ts';
import { parseCommandArgs } from './args.ts';
import { plural } from '../util/plural.ts';

export const REGISTER_USAGE = `minidj register
  Deploys /queue, /djset, /suggest and the message menu's "Add to the DJ playlist" to Discord (DISCORD_TOKEN, DISCORD_CLIENT_ID; DISCORD_GUILD_ID for one server, instantly).`;

export async function runRegister(argv: string[]): Promise<number> {
  parseCommandArgs(argv, {});
  const config = readBotConfig();
  if (!config.ok) {
    for (const p of config.problems) process.stderr.write(`minidj: ${p}\n`);
    return 1;
  }
  const { scope, count } = await registerCommands(config.config, process.env.MINIDJ_DISCORD_API);
  process.stdout.write(
    scope === 'guild'
      ? `Registered ${plural(count, 'command')} on server ${config.config.guildId}; they are available now.\n`
      : `Registered ${plural(count, 'command')} globally; Discord may take up to an hour to show them everywhere.\n`,
  );
  return 0;
}
