import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react'

/** History routing: clean paths (/pricing), so posthog-js records each route as a $pageview with its own URL. */
export function navigate(to: string): void {
  if (to === location.pathname + location.search) return
  history.pushState(null, '', to)
  // Not a synthetic popstate: posthog-js listens to popstate too, and already saw the pushState.
  window.dispatchEvent(new Event(NAVIGATED))
}

const NAVIGATED = 'tapflow:navigated'

export interface Route {
  path: string
  query: URLSearchParams
}

export function useRoute(): Route {
  const read = (): Route => ({ path: location.pathname.replace(/\/+$/, '') || '/', query: new URLSearchParams(location.search) })
  const [route, setRoute] = useState(read)
  useEffect(() => {
    const onPop = (): void => setRoute(read())
    window.addEventListener('popstate', onPop)
    window.addEventListener(NAVIGATED, onPop)
    return () => {
      window.removeEventListener('popstate', onPop)
      window.removeEventListener(NAVIGATED, onPop)
    }
  }, [])
  return route
}

/** An ordinary link (keyboard, middle-click, copy link all work) that routes in place on a plain click. */
export function Link({ to, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>): void => {
    rest.onClick?.(e)
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
    e.preventDefault()
    navigate(to)
  }
  return <a {...rest} href={to} onClick={onClick} />
}
