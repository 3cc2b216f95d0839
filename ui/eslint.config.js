// Lint for the dashboard's TypeScript (the .svelte files are checked by svelte-check in `typecheck`).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': ['error', { patterns: [{ group: ['@qts/adapters', '@qts/projections', '@qts/infra'], message: 'the UI talks to the API over HTTP, never to server packages' }] }],
    },
  },
);
