export { startMosquitto, mosquittoBinary, type MosquittoPeer, type MosquittoOptions } from './mosquitto.js'
export { freePort, waitForPort, requirePeers } from './net.js'
export { CHROMIUM, CHROMIUM_ARGS, chromiumPresent, launchChromium, type ChromiumPeer } from './chromium.js'
