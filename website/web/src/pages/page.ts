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

/** Calls `fn` once `ms` have passed without another call: one event per finished edit, not per keystroke. */
export function useDebounced<A extends unknown[]>(fn: (...args: A) => void, ms: number): (...args: A) => void {
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined)
  const latest = useRef(fn)
  latest.current = fn
  useEffect(() => () => clearTimeout(timer.current), [])
  return (...args: A) => {
    clearTimeout(timer.current)
    timer.current = setTimeout(() => latest.current(...args), ms)
  }
}
