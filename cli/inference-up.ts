import { join } from 'node:path'
import type { Logger } from '../common/index.js'
import { ChampionScorer, InferenceServer, ModelRegistry, type ControlAuthenticator, type Database, type OnlineFeatureReader } from '../cloud/index.js'
import { readStackInfo, writeStackInfo } from './stack-file.js'

export interface InferenceUpOptions {
  /** The database holding the model registry (schema mlops): the business's under `tapflow up`. */
  db: Database
  /** Artifacts are under <dataDir>/models; the URL goes to <dataDir>/stack.json. */
  dataDir: string
  /** Online features for Predict by entity id (the stack's feature store, judged against its simulated clock). */
  online: OnlineFeatureReader
  auth: ControlAuthenticator
  host: string
  /** 0: a free one. */
  port: number
  /** Served models, the first the default. Default: ['maintenance']. */
  models?: readonly string[]
  /** Real ms between looks for a newly promoted champion. Default: 5 s. */
  reloadEveryMs?: number
  /** The flag that moves the port, for the port-in-use message. Default: '--inference-port'. */
  portFlag?: string
  logger: Logger
}

export interface InferenceUp {
  /** host:port of InferenceService. */
  readonly url: string
  /** Scorers by model (opened on first use): the live path scores in-process with the same champion. */
  readonly server: InferenceServer
  close(): Promise<void>
}

/**
 * InferenceService beside the stack's feature store: the registry's champions in onnxruntime, reloaded when one is
 * promoted (`tapflow models promote`). A model with no champion yet answers NOT_FOUND until one is trained.
 */
export async function startInference(o: InferenceUpOptions): Promise<InferenceUp> {
  const registry = await ModelRegistry.open({ db: o.db, artifactsDir: join(o.dataDir, 'models') })
  const server = new InferenceServer({
    models: o.models, auth: o.auth, host: o.host, port: o.port, reloadEveryMs: o.reloadEveryMs, portFlag: o.portFlag ?? '--inference-port', logger: o.logger,
    open: (model) => ChampionScorer.open({ registry, online: o.online, model, logger: o.logger }),
  })
  try {
    await server.listen()
  } catch (err) {
    await server.close()
    await registry.close()
    throw err
  }
  // Published only by the stack that owns the data dir (`tapflow up`), not by a separate `tapflow serve`.
  const info = readStackInfo(o.dataDir)
  if (info?.pid === process.pid) writeStackInfo(o.dataDir, { ...info, inferenceUrl: server.address })
  return {
    url: server.address,
    server,
    async close() {
      await server.close()
      await registry.close()
    },
  }
}
