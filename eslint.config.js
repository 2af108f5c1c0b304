// Lint rules double as the architecture's fences (docs/architecture.md):
// the engine runs in plain Node, the contract is pure, the renderer never reaches Node or main/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

import { builtinModules } from 'node:module';

// Bare built-in names as exact paths (a pattern like 'events' would also match './events').
const nodeBuiltinPaths = builtinModules
  .filter((m) => !m.startsWith('_'))
  .map((name) => ({ name, message: 'No Node built-ins here.' }));

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'dist-electron/**',
      'renderer/dist/**',
      'test-results/**',
      'playwright-report/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['main/engine/**/*.ts', 'models/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'main/engine runs in plain Node: never import electron here.' },
          ],
          patterns: [
            {
              group: ['**/main/app/**', '**/main/server/**', '**/main/cli/**'],
              message: 'The engine must not depend on its front doors.',
            },
            {
              // relative paths of any depth ('../../../app/main' from main/engine/methods/x.ts)
              regex: '^(\\.\\./)+(app|server|cli)(/|$)',
              message: 'The engine must not depend on its front doors.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['preload/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The contract is pure.' }, ...nodeBuiltinPaths],
          patterns: [
            { group: ['node:*'], message: 'The contract is pure: no Node built-ins.' },
            {
              group: ['**/main/**', '**/renderer/**'],
              message: 'The contract imports nothing from main/ or renderer/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'The renderer talks only to the Api contract.' },
            ...nodeBuiltinPaths,
          ],
          patterns: [
            { group: ['node:*'], message: 'The renderer is browser code: no Node built-ins.' },
            {
              group: ['**/main/**'],
              message: 'The renderer imports nothing from main/: use the Api contract.',
            },
            {
              // only its own files and preload/contract: no models/, bench/, scripts/, test/ or
              // the preload script itself, at any depth
              regex: '(^|/)(main|models|bench|scripts|test)(/|$)|(^|/)preload(/(?!contract(/|$))|$)',
              message: 'The renderer imports only its own files and preload/contract.',
            },
          ],
        },
      ],
    },
  },
);
