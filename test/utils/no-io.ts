// Set-up file of the `unit` project (vitest.config.ts): a socket or a child process there is a mistake, and
// the file belongs in the integration project. Reading files is allowed (fixtures, manifests, the source tree).
import childProcess from 'node:child_process'
import { syncBuiltinESMExports } from 'node:module'
import net from 'node:net'

function refuse(what: string): () => never {
  return () => {
    throw new Error(`unit tests do no I/O, but this one tried ${what}: list the file as an integration test in vitest.config.ts`)
  }
}

net.Socket.prototype.connect = refuse('to open a socket')
net.Server.prototype.listen = refuse('to listen on a port')
for (const fn of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const) {
  Object.assign(childProcess, { [fn]: refuse(`to start a child process (${fn})`) })
}
// Named imports (`import { spawn } from 'node:child_process'`) see the patched functions too.
syncBuiltinESMExports()
