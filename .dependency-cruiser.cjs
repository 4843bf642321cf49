// Architecture rules: no import cycles between modules or between folders, and a folder with an index.ts is
// entered only through it. `make lint` runs them (depcruise), and so does test/architecture.test.ts, so CI does.
const { readdirSync } = require('node:fs')

const SKIP = /^(node_modules|data|reports|scratch|proto\/gen|dashboards\/web\/dist|website\/dist)(\/|$)|(^|\/)\./

/** Every folder below the root that has an index.ts: its index is its only door from outside it. */
const sealed = readdirSync(__dirname, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('/index.ts') && !SKIP.test(f))
  .map((f) => f.slice(0, -'/index.ts'.length))
  .sort()

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-module-cycles', severity: 'error', comment: 'modules import each other', from: {}, to: { circular: true } },
    {
      name: 'no-folder-cycles',
      severity: 'error',
      comment: 'two folders import each other (as device/ and profiles/ did): move the shared part down, or depend on an interface',
      scope: 'folder',
      // test/ sits above every folder (the rule below keeps product code out of it), so a folder's own tests
      // using test/utils do not make a cycle.
      from: { pathNot: '^test(/|$)' },
      to: { circular: true, pathNot: '^test(/|$)' },
    },
    {
      name: 'no-test-code-in-product',
      severity: 'error',
      comment: 'only tests, their helpers and benchmarks import test/',
      from: { pathNot: '(^|/)test/|^bench/' },
      to: { path: '^test/' },
    },
    ...sealed.map((dir) => ({
      name: 'no-deep-import',
      severity: 'error',
      comment: `outside ${dir}/, import ${dir}/index.ts only (tests inside a folder may import its internals)`,
      from: { pathNot: `^${escape(dir)}/` },
      to: { path: `^${escape(dir)}/`, pathNot: `^${escape(dir)}/index\\.ts$` },
    })),
  ],
  options: {
    baseDir: __dirname,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: SKIP.source },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: a cycle through types is still a cycle for a reader.
    tsPreCompilationDeps: true,
  },
}
