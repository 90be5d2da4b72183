/** Which Platform layer a path belongs to; decides the shape of error bodies. */
export type ServiceFamily = 'ims' | 'flow' | 'dataprep' | 'catalog' | 'xdm' | 'control' | 'unknown';

export const SERVICE_PREFIXES = {
  flow: '/data/foundation/flowservice',
  dataprep: '/data/foundation/conversion',
  catalog: '/data/foundation/catalog',
  xdm: '/data/foundation/schemaregistry',
  ims: '/ims',
  control: '/__emulator',
} as const;

export function serviceFamilyOf(path: string): ServiceFamily {
  for (const [family, prefix] of Object.entries(SERVICE_PREFIXES)) {
    if (path === prefix || path.startsWith(`${prefix}/`)) return family as ServiceFamily;
  }
  return 'unknown';
}

/** True for the families that sit behind the Adobe I/O gateway (auth, api key, org, sandbox). */
export function isPlatformFamily(family: ServiceFamily): family is 'flow' | 'dataprep' | 'catalog' | 'xdm' {
  return family === 'flow' || family === 'dataprep' || family === 'catalog' || family === 'xdm';
}
