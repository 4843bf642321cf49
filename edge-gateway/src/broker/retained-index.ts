import { Readable } from 'node:stream'

/** A retained PUBLISH as aedes hands it to its persistence. */
interface RetainedPacket {
  topic: string
  payload: Buffer
}

/** The two methods of an aedes persistence (aedes-persistence's interface) that retained messages go through. */
export interface RetainedStore {
  storeRetained(packet: RetainedPacket): Promise<void>
  createRetainedStreamCombi(patterns: string[]): Readable
}

const WILDCARD = /[+#]/

/**
 * aedes' in-memory persistence answers a SUBSCRIBE by matching every retained topic against each pattern. Every
 * simulated tap keeps a retained status topic and subscribes to its own command topic when it connects, so 2,000
 * taps cost 4 million topic matches: ~5 % of the gateway's CPU in a 300K-frame load run, all of it at connect.
 * A pattern without wildcards matches one topic, so an index by topic answers it with one lookup; a pattern with
 * wildcards still goes to the persistence's own scan, which keeps its own copy and stays the reference.
 */
export function indexRetained(store: RetainedStore): void {
  const byTopic = new Map<string, RetainedPacket>()
  const store0 = store.storeRetained.bind(store)
  const scan = store.createRetainedStreamCombi.bind(store)
  store.storeRetained = async (packet) => {
    await store0(packet)
    // As the persistence does: an empty payload clears the topic, and a copy is kept.
    if (packet.payload.length === 0) byTopic.delete(packet.topic)
    else byTopic.set(packet.topic, { ...packet })
  }
  store.createRetainedStreamCombi = (patterns) => {
    if (patterns.some((p) => WILDCARD.test(p))) return scan(patterns)
    return Readable.from(patterns.flatMap((p) => byTopic.get(p) ?? []))
  }
}
