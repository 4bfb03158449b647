// ESLint (flat config): typescript-eslint's type-checked recommendations over the whole tree.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'test/fixtures/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `_name` marks what is deliberately left out, e.g. `const { file: _file, ...rest } = body`.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // The ports are async (EventStore, KeyStore, BlobStore) so that adapters may be synchronous
      // (SQLite) or not; an `async` method that throws still answers a rejected promise, as callers
      // of a port expect, which a plain method returning Promise.resolve() would not.
      '@typescript-eslint/require-await': 'off',
      // Two better-sqlite3 releases are installed, one per runtime (libs/sqlite says why).
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'better-sqlite3', message: "Import Database from '@medrec/sqlite' (types may come from 'better-sqlite3').", allowTypeImports: true },
            { name: 'better-sqlite3-13', message: "Import Database from '@medrec/sqlite'.", allowTypeImports: true },
          ],
        },
      ],
    },
  },
  // The web app: the rules of hooks (and the React Compiler's checks that come with them).
  { files: ['apps/web/**/*.tsx', 'apps/web/**/*.ts'], ...reactHooks.configs.flat.recommended },
  {
    // Tests read HTTP answers and stored events as JSON whose shape is exactly what they assert:
    // typing every body first would restate each assertion. Production code and benches keep the rules.
    files: ['test/**/*.ts', '**/*.spec.ts', '**/*.e2e-spec.ts', '**/*.conformance.ts', '**/testing/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
