import { PortInUseError } from './errors.js'
import type { Server } from 'node:net'

/** Listen, turning EADDRINUSE into an error that names the flag which moves the port. */
export function listen(server: Pick<Server, 'listen' | 'once' | 'off' | 'address'>, port: number, host: string, flag: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, flag, { cause: err }) : err)
    }
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      const addr = server.address()
      resolve(typeof addr === 'object' && addr !== null ? addr.port : port)
    })
  })
}

/** Closes an HTTP server now: open keep-alive and streaming (SSE) connections are ended too. */
export async function closeHttpServer(server: import('node:http').Server | undefined): Promise<void> {
  if (server === undefined) return
  server.closeAllConnections()
  await new Promise<void>((r) => server.close(() => r()))
}
