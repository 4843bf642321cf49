import { TapflowClickHouseError } from '../../../common/index.js'

/**
 * The statement check of the read-only SQL surface. It works on ClickHouse's own parse of the query: the text
 * `EXPLAIN AST` prints for the single statement `formatQuery` returned (see ReadOnlySql), never on the raw text
 * a client sent. Comments, quoting, case and whitespace are gone by then, and a second statement cannot exist,
 * because formatQuery refuses multi-statements. What is checked here is exactly what runs.
 */

/** ClickHouse error codes the guard answers with. */
export const SQL_CODES = {
  SYNTAX_ERROR: 62,
  READONLY: 164,
  TOO_MANY_SIMULTANEOUS_QUERIES: 202,
  TOO_MANY_ROWS_OR_BYTES: 396,
  ACCESS_DENIED: 497,
} as const

/** A statement kind the surface does not run (writes, DDL, SET, USE, KILL, SYSTEM, SETTINGS, INTO OUTFILE). */
export class SqlReadOnlyError extends TapflowClickHouseError {
  constructor(message: string) {
    super(`Code: ${SQL_CODES.READONLY}. DB::Exception: ${message}. (READONLY)`, SQL_CODES.READONLY)
  }
}

/** A table, database, table function or function outside what the surface may read. */
export class SqlAccessDeniedError extends TapflowClickHouseError {
  constructor(message: string) {
    super(`Code: ${SQL_CODES.ACCESS_DENIED}. DB::Exception: ${message}. (ACCESS_DENIED)`, SQL_CODES.ACCESS_DENIED)
  }
}

/** Every query slot is busy. */
export class SqlTooManyQueriesError extends TapflowClickHouseError {
  constructor(max: number) {
    super(
      `Code: ${SQL_CODES.TOO_MANY_SIMULTANEOUS_QUERIES}. DB::Exception: Too many simultaneous queries. Maximum: ${max}. (TOO_MANY_SIMULTANEOUS_QUERIES)`,
      SQL_CODES.TOO_MANY_SIMULTANEOUS_QUERIES,
    )
  }
}

/** The result went past --sql-max-result-bytes as it was sent (ClickHouse counts in-memory bytes, we count wire bytes). */
export class SqlResultTooLargeError extends TapflowClickHouseError {
  constructor(maxBytes: number) {
    super(
      `Code: ${SQL_CODES.TOO_MANY_ROWS_OR_BYTES}. DB::Exception: Limit for result exceeded, max bytes: ${maxBytes}. (TOO_MANY_ROWS_OR_BYTES)`,
      SQL_CODES.TOO_MANY_ROWS_OR_BYTES,
    )
  }
}

/** Statements the surface runs, by the node type EXPLAIN AST prints at the root. */
const STATEMENTS = new Set([
  'SelectWithUnionQuery', 'SelectIntersectExceptQuery', 'Explain', 'DescribeQuery', 'ExistsTableQuery',
  'ShowTables', 'ShowColumns', 'ShowCreateTableQuery', 'ShowProcesslistQuery', 'ShowFunctions', 'ShowEngineQuery',
])
/** Node types that carry a query's output clauses when they sit directly under a statement. */
const QUERY_NODES = /^(SelectWithUnionQuery|SelectIntersectExceptQuery|Explain|Describe|Show|Exists)/

/** Databases the surface reads. Anything else (there is only the empty `default`) is refused. */
export const READABLE_DATABASES: ReadonlySet<string> = new Set(['tapflow', 'system', 'information_schema'])

/**
 * Table functions that read nothing but their arguments or the engine's own state. Everything else is refused:
 * file, url, s3, hdfs, postgresql, mysql, remote, cluster, jdbc, odbc, mongodb, redis, sqlite, azureBlobStorage,
 * gcs, iceberg*, deltaLake*, hudi, input, executable, merge (any database by regexp), dictionary, … and any table
 * function a later ClickHouse adds.
 */
export const TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  'numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'generateseries', 'generate_series', 'values', 'view', 'generaterandom', 'null',
])

/**
 * Ordinary functions that reach outside the tables: `file()` reads any file even at readonly=1, catboostEvaluate
 * loads a model from a path, dictionaries and Join tables can be file- or network-backed.
 */
const DENIED_FUNCTIONS = /^(file|catboostevaluate|dict[a-z0-9]*|joinget(ornull)?|naivebayesclassifier)$/

/** IN-like operators whose right side may name a table. */
const IN_FUNCTIONS = new Set(['in', 'notin', 'globalin', 'globalnotin', 'nullin', 'notnullin', 'globalnullin', 'globalnotnullin'])

interface AstNode {
  type: string
  /** The rest of the line after the type, e.g. `tapflow.pours (alias p)` or `file (children 1)`. */
  rest: string
  children: AstNode[]
}

/** Builds the tree from EXPLAIN AST's one-node-per-line, one-space-per-level text. */
export function parseExplainAst(text: string): AstNode {
  const root: AstNode = { type: '', rest: '', children: [] }
  const stack: { depth: number; node: AstNode }[] = [{ depth: -1, node: root }]
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    const depth = line.length - line.trimStart().length
    const body = line.trim()
    const sp = body.indexOf(' ')
    const node: AstNode = { type: sp < 0 ? body : body.slice(0, sp), rest: sp < 0 ? '' : body.slice(sp + 1), children: [] }
    while (stack.length > 1 && stack[stack.length - 1]!.depth >= depth) stack.pop()
    stack[stack.length - 1]!.node.children.push(node)
    stack.push({ depth, node })
  }
  if (root.children.length !== 1) throw new SqlReadOnlyError('exactly one statement is allowed')
  return root.children[0]!
}

/**
 * Throws unless the statement only reads tapflow.* and system.* through allowed functions.
 * `ast` is the output of `EXPLAIN AST <statement>`.
 */
export function checkStatement(ast: string): { streamable: boolean } {
  const root = parseExplainAst(ast)
  checkRoot(root)
  walk(root, undefined)
  // chDB streams only SELECTs; SHOW, DESCRIBE, EXISTS and EXPLAIN answers are small and come in one piece.
  return { streamable: root.type.startsWith('Select') }
}

function checkRoot(node: AstNode): void {
  if (!STATEMENTS.has(node.type)) throw new SqlReadOnlyError(`only SELECT, WITH, SHOW, DESCRIBE, EXISTS and EXPLAIN are allowed here, not ${node.type}`)
  // EXPLAIN wraps one statement, which must itself be allowed (EXPLAIN PIPELINE INSERT builds an insert).
  if (node.type === 'Explain') {
    const inner = node.children.find((c) => STATEMENTS.has(c.type) || /Query|^Show|^Set$/.test(c.type))
    if (inner === undefined) throw new SqlReadOnlyError('EXPLAIN of an unknown statement')
    checkRoot(inner)
  }
}

function walk(node: AstNode, parent: AstNode | undefined): void {
  if (node.type === 'Set') throw new SqlReadOnlyError('settings cannot be changed on the read-only SQL surface (SETTINGS clause)')
  if (parent !== undefined && QUERY_NODES.test(parent.type) && node.type === 'Literal') {
    // A literal straight under a statement is its INTO OUTFILE target (or its COMPRESSION).
    throw new SqlReadOnlyError('INTO OUTFILE is not allowed')
  }
  if (node.type === 'TableIdentifier') checkTable(firstWord(node.rest))
  if (node.type === 'Function') {
    const name = firstWord(node.rest).toLowerCase()
    if (parent?.type === 'TableExpression') {
      if (!TABLE_FUNCTIONS.has(name)) throw new SqlAccessDeniedError(`table function ${name}() is not allowed: the SQL surface reads the tapflow and system databases only`)
    } else if (DENIED_FUNCTIONS.test(name)) {
      throw new SqlAccessDeniedError(`function ${name}() is not allowed: it reads outside the tapflow and system databases`)
    } else if (IN_FUNCTIONS.has(name)) {
      const rhs = node.children[0]?.children[1]
      if (rhs?.type === 'Identifier') checkTable(firstWord(rhs.rest), true)
    }
  }
  for (const c of node.children) walk(c, node)
}

/**
 * `db.table` must name a readable database; a bare name is a CTE or a table of the session's database (tapflow).
 * The right side of IN may also be `alias.column`, so there only the one other database chDB has is refused.
 */
function checkTable(name: string, inOperand = false): void {
  const dot = name.indexOf('.')
  if (dot < 0) return
  const db = name.slice(0, dot).replace(/^`|`$/g, '').toLowerCase()
  if (READABLE_DATABASES.has(db) || (inOperand && db !== 'default')) return
  throw new SqlAccessDeniedError(`database ${db} is not readable here: the SQL surface reads the tapflow and system databases only`)
}

function firstWord(s: string): string {
  const sp = s.indexOf(' ')
  return sp < 0 ? s : s.slice(0, sp)
}
