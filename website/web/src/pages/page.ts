import { useEffect, useRef } from 'react'
import { track, type TaxonomyEvent } from '../analytics.js'

/** Sets the page's title and captures its view event once per visit to the page. */
export function usePage(title: string, viewed?: TaxonomyEvent, props: Record<string, string> = {}): void {
  const sent = useRef(false)
  useEffect(() => {
    document.title = `${title} · TapFlow`
    if (viewed !== undefined && !sent.current) {
      sent.current = true
      track(viewed, props)
    }
    // Once per mount: a page's view event is its arrival, not its re-renders.
  }, [])
}

/**
 * Calls `fn` once `ms` have passed without another call: one event per finished edit, not per keystroke. Leaving the
 * page sends the edit still waiting (a visitor who priced and moved on did use the calculator).
 */
export function useDebounced<A extends unknown[]>(fn: (...args: A) => void, ms: number): (...args: A) => void {
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined)
  const pending = useRef<A | undefined>(undefined)
  const latest = useRef(fn)
  latest.current = fn
  const fire = (): void => {
    const args = pending.current
    pending.current = undefined
    if (args !== undefined) latest.current(...args)
  }
  useEffect(() => () => {
    clearTimeout(timer.current)
    fire()
  }, [])
  return (...args: A) => {
    clearTimeout(timer.current)
    pending.current = args
    timer.current = setTimeout(fire, ms)
  }
}
