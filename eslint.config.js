// One lint config for every workspace: strict TypeScript rules plus the architecture's import boundaries.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'var/**', 'ui/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // Rule 1 and 2 of ARCHITECTURE.md: the core is pure and never reaches the edges.
    files: ['core/src/**/*.ts', 'schemas/src/**/*.ts'],
    // Test helpers (core/src/testing) read recorded data files; the domain itself never does I/O.
    ignores: ['**/*.test.ts', '**/bench/**', 'core/src/testing/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['@qts/adapters', '@qts/adapters/*', '@qts/projections', '@qts/infra', '**/adapters/**'], message: 'core/ must not import adapters, projections or infra' },
          { group: ['node:fs', 'node:net', 'node:http', 'fs', 'net', 'http', 'ccxt', 'kafkajs', 'pg'], message: 'core/ is pure: no I/O' },
        ],
      }],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'inject a Clock' },
        { object: 'Math', property: 'random', message: 'inject a seeded random source' },
      ],
    },
  },
);
