import { ANALYZE_USAGE, runAnalyze } from './analyze-command.ts';
import { UsageError } from './args.ts';
import { LIBRARY_USAGE, runLibrary } from './library-command.ts';
import { MIX_USAGE, runMix } from './mix-command.ts';
import { REGISTER_USAGE, runRegister } from './register-command.ts';
import { runSuggest, SUGGEST_USAGE } from './suggest-command.ts';
import { runTrain, TRAIN_USAGE } from './train-command.ts';

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
  register: runRegister,
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
