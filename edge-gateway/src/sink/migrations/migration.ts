/** One versioned schema change. Released migrations never change; a change is a new file. */
export interface Migration {
  version: number
  name: string
  statements: readonly string[]
}
