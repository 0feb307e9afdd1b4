// ESLint for nephron (typescript-eslint), run from the repository root: `npm run lint:code`. Formatting is prettier's
// (`npm run lint:format`), the import graph dependency-cruiser's (`npm run lint:deps`, ../../.dependency-cruiser.cjs).
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

/** Writes to the run table: only src/runs may make them (docs/style.md, "Run state"). */
const RUN_WRITES = [
  {
    selector: 'Literal[value=/\\b(UPDATE|INSERT\\s+INTO|DELETE\\s+FROM)\\s+run\\b/i]',
    message: 'Only src/runs writes run state: call src/runs (cancelRun, queueingTransaction, RunRecorder, RunQueue) instead.',
  },
  {
    selector: 'TemplateElement[value.raw=/\\b(UPDATE|INSERT\\s+INTO|DELETE\\s+FROM)\\s+run\\b/i]',
    message: 'Only src/runs writes run state: call src/runs (cancelRun, queueingTransaction, RunRecorder, RunQueue) instead.',
  },
  {
    selector:
      "CallExpression[callee.property.name=/^(update|save|insert|upsert|delete|remove|softDelete|increment|decrement)$/][callee.object.callee.property.name='getRepository'][callee.object.arguments.0.name='Run']",
    message: 'Only src/runs writes run state: call src/runs instead of a Run repository write.',
  },
  {
    selector: "CallExpression[callee.property.name=/^(update|save|insert|upsert|delete|remove)$/][arguments.0.name='Run']",
    message: 'Only src/runs writes run state: call src/runs instead of an EntityManager write of Run.',
  },
];

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', 'client/dist/**', 'data/**', 'reports/**', 'test-output/**', 'tools/lint/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,js,cjs,mjs}'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // TypeScript checks names (typescript-eslint's advice); `any` is rare and deliberate (GraphQL answers, tfjs internals)
      'no-undef': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      // input validation matches control characters on purpose
      'no-control-regex': 'off',
      'no-useless-assignment': 'off',
      'preserve-caught-error': 'off',
      'max-len': ['error', { code: 160, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/runs/**'],
    rules: { 'no-restricted-syntax': ['error', ...RUN_WRITES] },
  },
  {
    files: ['src/**/*.ts', 'client/src/**/*.{ts,tsx}'],
    rules: { 'max-lines': ['error', { max: 300, skipBlankLines: false, skipComments: false }] },
  },
  {
    // CommonJS scripts and probes; tests load fixtures and optional modules on demand
    files: ['**/*.{js,cjs}', 'test/**'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['client/src/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
);
