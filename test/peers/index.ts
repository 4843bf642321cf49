export { startMosquitto, mosquittoBinary, type MosquittoPeer, type MosquittoOptions } from './mosquitto.js'
export { freePort, waitForPort, requirePeers } from './net.js'
