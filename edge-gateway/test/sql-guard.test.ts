import { describe, expect, it } from 'vitest'
import { checkStatement, DEFAULT_SQL_LIMITS, resolveSqlLimits, SqlAccessDeniedError, SqlReadOnlyError } from '../index.js'

// EXPLAIN AST output exactly as chDB 3.4 (ClickHouse 26.7) prints it, one node per line, one space per level.
const ast = (lines: string[]): string => lines.join('\n') + '\n'

const selectFrom = (table: string[]): string =>
  ast([
    'SelectWithUnionQuery (children 1)',
    ' ExpressionList (children 1)',
    '  SelectQuery (children 2)',
    '   ExpressionList (children 1)',
    '    Asterisk',
    '   TablesInSelectQuery (children 1)',
    '    TablesInSelectQueryElement (children 1)',
    '     TableExpression (children 1)',
    ...table.map((l) => '      ' + l),
  ])

describe('checkStatement', () => {
  it('lets reads of tapflow and system through, and says which ones chDB streams', () => {
    expect(checkStatement(selectFrom(['TableIdentifier tapflow.pours (alias p)']))).toEqual({ streamable: true })
    expect(checkStatement(selectFrom(['TableIdentifier system.tables']))).toEqual({ streamable: true })
    expect(checkStatement(selectFrom(['TableIdentifier pours']))).toEqual({ streamable: true })
    expect(checkStatement(selectFrom(['Function numbers (children 1)', ' ExpressionList (children 1)', '  Literal UInt64_10']))).toEqual({ streamable: true })
    expect(checkStatement(ast(['ShowTables (children 1)', ' Identifier tapflow']))).toEqual({ streamable: false })
    expect(checkStatement(ast(['DescribeQuery (children 1)', ' TableExpression (children 1)', '  TableIdentifier tapflow.pours']))).toEqual({ streamable: false })
  })

  it.each([
    ['a table function reading files', selectFrom(['Function file (children 1)', ' ExpressionList (children 1)', "  Literal 'x'"])],
    ['a table function in any case', selectFrom(['Function URL (children 1)', ' ExpressionList (children 1)', "  Literal 'x'"])],
    ['another database', selectFrom(['TableIdentifier default.secret'])],
    ['file() the scalar function', ast(['SelectWithUnionQuery (children 1)', ' ExpressionList (children 1)', '  SelectQuery (children 1)', '   ExpressionList (children 1)', '    Function file (children 1)', '     ExpressionList (children 1)', "      Literal 'x'"])],
    ['dictGet()', ast(['SelectWithUnionQuery (children 1)', ' ExpressionList (children 1)', '  SelectQuery (children 1)', '   ExpressionList (children 1)', '    Function dictGetString (children 1)'])],
    ['IN another database', ast(['SelectWithUnionQuery (children 1)', ' ExpressionList (children 1)', '  SelectQuery (children 1)', '   ExpressionList (children 1)', '    Function in (children 1)', '     ExpressionList (children 2)', '      Identifier a', '      Identifier default.t'])],
  ])('denies %s with ACCESS_DENIED', (_name, text) => {
    expect(() => checkStatement(text)).toThrow(SqlAccessDeniedError)
  })

  it.each([
    ['KILL', ast(["KillQueryQuery  (children 1)", ' Function equals']), /not KillQueryQuery/],
    ['SET', ast(['Set']), /not Set/],
    ['INSERT', ast(['InsertQuery (children 1)']), /not InsertQuery/],
    ['a SETTINGS clause', ast(['SelectWithUnionQuery (children 2)', ' ExpressionList (children 1)', '  SelectQuery (children 1)', ' Set']), /SETTINGS/],
    ['INTO OUTFILE', ast(['SelectWithUnionQuery (children 3)', ' ExpressionList (children 1)', '  SelectQuery (children 1)', " Literal '/tmp/x'", ' Identifier CSV']), /INTO OUTFILE/],
    ['EXPLAIN of an INSERT', ast(['Explain EXPLAIN PIPELINE (children 1)', ' InsertQuery (children 1)']), /InsertQuery/],
    ['two statements', 'SelectWithUnionQuery\nSelectWithUnionQuery\n', /one statement/],
  ])('denies %s with READONLY', (_name, text, message) => {
    expect(() => checkStatement(text)).toThrow(SqlReadOnlyError)
    expect(() => checkStatement(text)).toThrow(message)
  })

  it('names the ClickHouse code in the error', () => {
    try {
      checkStatement(ast(['UseQuery system']))
      expect.unreachable()
    } catch (err) {
      expect(err).toMatchObject({ clickhouseCode: 164, message: expect.stringMatching(/^Code: 164\. DB::Exception: .*\(READONLY\)$/) })
    }
  })
})

describe('resolveSqlLimits', () => {
  it('fills in the defaults and refuses nonsense', () => {
    expect(resolveSqlLimits({ maxSeconds: 5 })).toEqual({ ...DEFAULT_SQL_LIMITS, maxSeconds: 5 })
    expect(resolveSqlLimits({ maxSeconds: undefined })).toEqual(DEFAULT_SQL_LIMITS)
    expect(() => resolveSqlLimits({ maxConcurrent: 0 })).toThrow(/maxConcurrent/)
    expect(() => resolveSqlLimits({ maxResultBytes: 1.5 })).toThrow(/maxResultBytes/)
  })
})
