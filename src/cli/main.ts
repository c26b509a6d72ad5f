import { ANALYZE_USAGE, runAnalyze } from './analyze-command.ts';
import { UsageError } from './args.ts';
import { LIBRARY_USAGE, runLibrary } from './library-command.ts';
import { MIX_USAGE, runMix } from './mix-command.ts';
import { runSuggest, SUGGEST_USAGE } from './suggest-command.ts';
import { runTrain, TRAIN_USAGE } from './train-command.ts';

/** `minidj register` is the bot's own step (src/bot/register-main.ts, which bin/minidj.js runs for it). */
const REGISTER_USAGE = `minidj register
  Deploys /queue, /djset, /suggest and the message menu's "Add to the DJ playlist" to Discord (DISCORD_TOKEN, DISCORD_CLIENT_ID; DISCORD_GUILD_ID for one server, instantly).`;

const USAGE = `Mini-DJ — an AI DJ for Discord (AGPL-3.0-or-later)

Usage:
  ${ANALYZE_USAGE.split('\n').join('\n  ')}

  ${MIX_USAGE.split('\n').join('\n  ')}

  ${SUGGEST_USAGE.split('\n').join('\n  ')}

  ${TRAIN_USAGE.split('\n').join('\n  ')}

  ${LIBRARY_USAGE.split('\n').join('\n  ')}

  ${REGISTER_USAGE.split('\n').join('\n  ')}
`;

const commands: Record<string, (argv: string[]) => Promise<number>> = {
  analyze: runAnalyze,
  mix: runMix,
  suggest: runSuggest,
  train: runTrain,
  library: runLibrary,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command "${name}"`);
  return command(rest);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`minidj: ${err.message}\nRun \`minidj --help\` for usage.\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`minidj: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
