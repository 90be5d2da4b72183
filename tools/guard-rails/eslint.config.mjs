// The lint `npm run lint` runs (and .ci/run before the tests): typescript-eslint's
// recommended-type-checked rules over the product, the emulator, the tests and the scripts.
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';

/** The repository root: the lint runs from there (`npm run lint`). */
const root = fileURLToPath(new URL('../..', import.meta.url));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'src/store/generated/', '.worktrees/', 'scripts/*.mjs', 'tools/', 'prisma.config.ts', '.dependency-cruiser.cjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: root } },
    rules: {
      // `_name` marks a parameter a signature requires but the body does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' }],
      // Apollo's and graphql-ws's hooks, route handlers and interface methods are async by
      // contract whether or not this implementation awaits; the rule flags every one of them.
      '@typescript-eslint/require-await': 'off',
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] }],
    },
  },
  {
    // The emulator, like the Platform it stands for, reads arbitrary client JSON (bodies, query
    // strings, stored documents) and echoes its values into answers, comparisons and messages as
    // text; its routes check shapes by hand before use. Typing every body is left to its rework.
    files: ['emulator/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    // Emulator modules that type what they read as `unknown` and narrow it: the exemption above
    // does not apply to them (the list grows as modules are reworked; issue 12 started it).
    files: [
      'emulator/http/query-values.ts',
      'emulator/services/catalog/catalog.routes.ts',
      'emulator/services/control/control.routes.ts',
      'emulator/services/data-prep/apply-mapping.ts',
      'emulator/services/data-prep/data-prep.routes.ts',
      'emulator/services/data-prep/expressions.ts',
      'emulator/services/flow-service/runs.routes.ts',
      'emulator/services/schema-registry/xdm-validate.ts',
      'emulator/state/persistence.ts',
      'emulator/state/sealing.ts',
      'emulator/state/snapshot.ts',
      'emulator/stripe/stripe-accounts.ts',
    ],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unsafe-assignment': 'error',
      '@typescript-eslint/no-unsafe-member-access': 'error',
      '@typescript-eslint/no-unsafe-argument': 'error',
      '@typescript-eslint/no-unsafe-call': 'error',
      '@typescript-eslint/no-unsafe-return': 'error',
      '@typescript-eslint/no-base-to-string': 'error',
    },
  },
  {
    // Tests read the API's untyped JSON answers (GraphQL results, Platform bodies, log lines) and
    // check their shape with assertions: typing every answer would say nothing the assertions don't.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
