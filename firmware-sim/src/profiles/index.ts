/** Failure-profile library: profiles, their registry, per-device fault state and the injector. Imports nothing of device/. */
export { PROFILES, TIMING_PARAMS, getProfile, profileNames, resolveParams } from './registry.js'
/** How 'ms' parameters print (their bounds in errors and in `tapflow fleet profiles`): common's duration grammar. */
export { formatDuration } from '../../../common/index.js'
export { FaultState, type ActiveFault } from './fault-state.js'
export { FaultInjector, type FaultTarget, type GroundTruthSink } from './injector.js'
export { BUILTIN_FIRMWARE, type FirmwareCatalogue, type FirmwareFault, type FirmwareRelease } from './firmware.js'
export { NO_EFFECTS, type Effects, type FailureProfile, type ParamSpec, type Params } from './types.js'
