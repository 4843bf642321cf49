/**
 * Firmware versions can carry behaviour: a release may ship a bug that acts like a failure profile
 * until a later release fixes it. Manifests can add versions; these are the built-in ones.
 */
export interface FirmwareFault {
  profile: string
  /** Raw parameters, validated like any profile assignment. */
  params: Readonly<Record<string, number | string>>
}

export interface FirmwareRelease {
  notes: string
  faults: readonly FirmwareFault[]
}

export type FirmwareCatalogue = ReadonlyMap<string, FirmwareRelease>

export const BUILTIN_FIRMWARE: FirmwareCatalogue = new Map<string, FirmwareRelease>([
  ['1.4.2', { notes: 'field release', faults: [] }],
  ['1.5.0', {
    notes: 'new flow-meter calibration table; reads high as the meter warms (bug)',
    faults: [{ profile: 'flow-meter-drift', params: { drift: 0.12, progression: '2d' } }],
  }],
  ['1.5.1', { notes: 'fixes the 1.5.0 flow-meter calibration drift', faults: [] }],
])
