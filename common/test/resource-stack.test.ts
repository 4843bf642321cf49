import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { ResourceStack, type Logger } from '../index.js'

/** A logger that keeps every line, to assert what was logged. */
function recordingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = []
  const logger: Logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) })
  return { logger, lines }
}

describe('ResourceStack', () => {
  it('closes in reverse order of registration', async () => {
    const order: string[] = []
    const s = new ResourceStack()
    s.defer('a', () => void order.push('a'))
    s.use('b', { close: async () => void order.push('b') })
    s.use('c', { [Symbol.asyncDispose]: async () => void order.push('c') })
    await s.close()
    expect(order).toEqual(['c', 'b', 'a'])
  })

  it('runs every closer when some throw, and logs each failure with its name', async () => {
    const { logger, lines } = recordingLogger()
    const order: string[] = []
    const s = new ResourceStack({ logger })
    s.defer('first', () => void order.push('first'))
    s.defer('sync-throw', () => {
      throw new Error('boom 1')
    })
    s.defer('async-throw', async () => {
      throw new Error('boom 2')
    })
    s.defer('last', () => void order.push('last'))
    await expect(s.close()).resolves.toBeUndefined()
    expect(order).toEqual(['last', 'first'])
    expect(s.failures).toBe(2)
    expect(lines.map((l) => [l.resource, l.err])).toEqual([['async-throw', 'boom 2'], ['sync-throw', 'boom 1']])
  })

  it('is idempotent: a second close runs nothing again and waits for the first', async () => {
    let closes = 0
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const s = new ResourceStack()
    s.defer('slow', async () => {
      closes++
      await gate
    })
    const a = s.close()
    const b = s.close()
    let bDone = false
    void b.then(() => (bDone = true))
    await Promise.resolve()
    expect(bDone).toBe(false)
    release()
    await Promise.all([a, b])
    await s.close()
    await s[Symbol.asyncDispose]()
    expect(closes).toBe(1)
    expect(s.closed).toBe(true)
  })

  it('closes at once what is registered after it closed', async () => {
    const s = new ResourceStack()
    await s.close()
    let closed = false
    s.defer('late', () => void (closed = true))
    await Promise.resolve()
    expect(closed).toBe(true)
  })
})
