/** prom-client's default collectors, one module each (the package ships no types for them). */
declare module 'prom-client/lib/metrics/*' {
  const collect: (registry: import('prom-client').Registry, config: object) => void;
  export = collect;
}
