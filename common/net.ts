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
