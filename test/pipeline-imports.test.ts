import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

/** The rule ids ESLint reports for a file at `filePath` holding `code` (linted in memory, as if it were there). */
async function ruleIds(filePath: string, code: string): Promise<(string | null)[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map((m) => m.ruleId);
}

const against = [
  ['src/audio/set/x.ts', '../../ai/order-tracks.ts'],
  ['src/audio/io/x.ts', '../../db/analysis-store.ts'],
  ['src/audio/transition/x.ts', '../../bot/live/live-set.ts'],
  ['src/audio/x.ts', '../cli/mix-command.ts'],
  ['src/audio/analysis/x.ts', '../../demo/run-demo.ts'],
  ['src/audio/dsp/x.ts', '../../eval/set-quality.ts'],
  ['src/audio/set/x.ts', '../../viz/set-picture.ts'],
  ['src/ai/x.ts', '../bot/live/live-set.ts'],
  ['src/ai/x.ts', '../cli/mix-command.ts'],
  ['src/ai/x.ts', '../demo/run-demo.ts'],
  ['src/db/x.ts', '../bot/live/live-set.ts'],
  ['src/db/x.ts', '../cli/main.ts'],
  ['src/bot/x.ts', '../demo/run-demo.ts'],
  ['src/bot/x.ts', '../cli/mix-command.ts'],
  ['src/bot/x.ts', '../eval/set-quality.ts'],
  ['src/library/x.ts', '../bot/playlist/queue-operations.ts'],
  ['src/library/x.ts', '../cli/library-command.ts'],
  ['src/cli/x.ts', '../bot/main.ts'],
  ['src/cli/x.ts', '../bot/bot-config.ts'],
  // The rooms of src/bot: commands → live, adds → playlist → discord; none imports the root.
  ['src/bot/live/x.ts', '../commands/djset/set-controls.ts'],
  ['src/bot/live/x.ts', '../adds/land-download.ts'],
  ['src/bot/playlist/x.ts', '../live/live-set.ts'],
  ['src/bot/discord/x.ts', '../playlist/permissions.ts'],
  ['src/bot/adds/x.ts', '../create-bot.ts'],
  ['src/bot/commands/queue/x.ts', '../../interaction-router.ts'],
  ['src/bot/commands/queue/x.ts', '../../../cli/main.ts'],
  ['src/bot/sharding/x.ts', '../main.ts'],
];

describe('imports run one way along the pipeline', () => {
  it.each(against)('%s may not import %s', async (file, spec) => {
    expect(await ruleIds(file, `import { x } from '${spec}';\nexport const y = x;\n`)).toContain(
      'no-restricted-imports',
    );
  });

  it.each([
    ['src/ai/x.ts', '../audio/set/mix-set.ts'],
    ['src/bot/x.ts', '../viz/set-picture.ts'],
    ['src/audio/set/x.ts', '../transition/transition-plan.ts'],
    ['src/ingest/x.ts', '../ops/log.ts'],
    ['src/library/x.ts', '../db/library-index.ts'],
    ['src/cli/x.ts', '../library/server-library.ts'],
    ['src/bot/commands/queue/x.ts', '../../../library/server-library.ts'],
    ['src/bot/commands/queue/x.ts', '../djset/set-controls.ts'],
    ['src/bot/commands/queue/x.ts', '../../live/live-sets.ts'],
    ['src/bot/live/x.ts', '../playlist/next-track.ts'],
    ['src/bot/x.ts', './commands/all-commands.ts'],
  ])('%s may import %s', async (file, spec) => {
    expect(await ruleIds(file, `import { x } from '${spec}';\nexport const y = x;\n`)).toEqual([]);
  });

  it('refuses a function over 120 lines outside src/synth, and allows it in src/synth', async () => {
    const long = `export function long(): number {\n  let n = 0;\n${'  n++;\n'.repeat(120)}  return n;\n}\n`;
    expect(await ruleIds('src/audio/dsp/x.ts', long)).toEqual(['max-lines-per-function']);
    expect(await ruleIds('src/synth/x.ts', long)).toEqual([]);
  });
});
