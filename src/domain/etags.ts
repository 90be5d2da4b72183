/** Compares etags the way the Platform does: quotes and a weak prefix do not matter. */
export function sameEtag(a: string | null, b: string | null): boolean {
  const strip = (v: string | null) => (v ?? '').trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  return strip(a) === strip(b);
}
