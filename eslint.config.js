import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The folders of src/ that each folder may import (ARCHITECTURE.md): the pipeline runs one way, from the audio kernels
 * up to the front ends. An import of any other folder is a lint error.
 */
export const MAY_IMPORT = {
  util: [],
  ops: ['util'],
  audio: ['util'],
  ai: ['audio', 'util'],
  db: ['audio', 'util'],
  eval: ['audio', 'util'],
  synth: ['audio', 'util'],
  viz: ['audio', 'util'],
  voice: ['audio', 'util'],
  ingest: ['audio', 'db', 'ops', 'util'],
  library: ['ai', 'audio', 'db', 'util'],
  bot: ['ai', 'audio', 'db', 'ingest', 'library', 'ops', 'util', 'viz', 'voice'],
  cli: ['ai', 'audio', 'db', 'eval', 'ingest', 'library', 'util'],
  demo: ['ai', 'audio', 'db', 'eval', 'ingest', 'synth', 'util', 'viz'],
};
const FOLDERS = Object.keys(MAY_IMPORT);

/**
 * The rooms of src/bot and the rooms each may import (ARCHITECTURE.md): the commands use the live sets and the adds,
 * which use the playlist; everything may say things through `discord`. The bot's root (the processes: start, main,
 * create-bot, the interaction router) may import every room, and no room imports the root.
 */
export const BOT_ROOMS = {
  discord: [],
  playlist: ['discord'],
  adds: ['discord', 'playlist'],
  live: ['discord', 'playlist'],
  commands: ['adds', 'discord', 'live', 'playlist'],
  sharding: [],
};

function pipelinePattern(folder) {
  const allowed = MAY_IMPORT[folder];
  const forbidden = FOLDERS.filter((f) => f !== folder && !allowed.includes(f));
  return {
    regex: `^(\\.\\./)+(${forbidden.join('|')})/`,
    message: `imports run one way along the pipeline (ARCHITECTURE.md): src/${folder} may import ${allowed.length ? allowed.join(', ') : 'no other folder of src'}.`,
  };
}

const restricted = (files, patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });

const pipelineRules = FOLDERS.map((folder) => restricted([`src/${folder}/**/*.ts`], [pipelinePattern(folder)]));

/** A file `depth` folders below src/bot/<room> reaches another room (or the root) through depth + 1 `../`. */
const botRoomRules = Object.entries(BOT_ROOMS).flatMap(([room, allowed]) => {
  const others = Object.keys(BOT_ROOMS).filter((r) => r !== room && !allowed.includes(r));
  const message = `src/bot/${room} may import ${allowed.length ? allowed.map((r) => `src/bot/${r}`).join(', ') : 'no other room of src/bot'}, never the bot's root (ARCHITECTURE.md).`;
  return [0, 1, 2].map((depth) => {
    const up = '\\.\\./'.repeat(depth + 1);
    return restricted(
      [`src/bot/${room}/${'*/'.repeat(depth)}*.ts`],
      [
        pipelinePattern('bot'),
        { regex: `^${up}(${[...others.map((r) => `${r}/`), '[^./][^/]*\\.ts$'].join('|')})`, message },
      ],
    );
  });
});

/** A `MINIDJ_*` setting is read through src/util/config.ts (its type, default and bounds declared there), nowhere else. */
const settingReads = [
  {
    selector: "MemberExpression[property.name=/^MINIDJ_/][object.name!='SETTINGS']",
    message: 'Read MINIDJ_* settings with setting() from src/util/config.ts, where each is declared.',
  },
  {
    selector: 'MemberExpression[computed=true][property.value=/^MINIDJ_/]',
    message: 'Read MINIDJ_* settings with setting() from src/util/config.ts, where each is declared.',
  },
  {
    selector: "MemberExpression[computed=true][object.object.name='process'][object.property.name='env']",
    message:
      'Read MINIDJ_* settings with setting() from src/util/config.ts; name any other variable (process.env.NAME).',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'out/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...pipelineRules,
  ...botRoomRules,
  {
    files: ['src/**/*.ts'],
    ignores: ['src/util/config.ts'],
    rules: { 'no-restricted-syntax': ['error', ...settingReads] },
  },
  // A command reads its options through its route's OptionReader, so routeProblems (commands/command-routes.ts) can
  // check every name it reads against the command's definition.
  {
    files: ['src/bot/commands/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "CallExpression[callee.object.property.name='options'][callee.property.name=/^get(?!Subcommand|Focused)/]",
          message:
            "Read a command's options through the OptionReader its route gives the handler (commands/command-routes.ts).",
        },
        ...settingReads,
      ],
    },
  },
  // Lines from a function's first line to its last, blanks and comments included (`npm run lint:long` lists those over 80).
  { files: ['src/**/*.ts'], ignores: ['src/synth/**'], rules: { 'max-lines-per-function': ['error', { max: 120 }] } },
);
