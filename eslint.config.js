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
  commands: ['audio', 'util'],
  bot: ['ai', 'audio', 'commands', 'db', 'ingest', 'ops', 'util', 'viz', 'voice'],
  cli: ['ai', 'audio', 'bot', 'commands', 'db', 'eval', 'ingest', 'util'],
  demo: ['ai', 'audio', 'db', 'eval', 'ingest', 'synth', 'util', 'viz'],
};
const FOLDERS = Object.keys(MAY_IMPORT);

const pipelineRules = Object.entries(MAY_IMPORT).map(([folder, allowed]) => {
  const forbidden = FOLDERS.filter((f) => f !== folder && !allowed.includes(f));
  return {
    files: [`src/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(\\.\\./)+(${forbidden.join('|')})/`,
              message: `imports run one way along the pipeline (ARCHITECTURE.md): src/${folder} may import ${allowed.length ? allowed.join(', ') : 'no other folder of src'}.`,
            },
          ],
        },
      ],
    },
  };
});

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'out/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...pipelineRules,
  // Lines from a function's first line to its last, blanks and comments included (`npm run lint:long` lists those over 80).
  { files: ['src/**/*.ts'], ignores: ['src/synth/**'], rules: { 'max-lines-per-function': ['error', { max: 120 }] } },
);
