// marked 4.3 ships no types; these are the few calls website/src/docs.ts makes.
declare module 'marked' {
  export interface MarkedToken {
    type: string
    raw: string
    href?: string
    text?: string
    depth?: number
  }
  export interface MarkedOptions {
    walkTokens?: (token: MarkedToken) => void
    headerIds?: boolean
    mangle?: boolean
  }
  export const marked: {
    parse(src: string, options?: MarkedOptions): string
    lexer(src: string, options?: MarkedOptions): MarkedToken[]
  }
}
