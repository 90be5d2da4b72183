/** How an injected fault behaves. */
export type FaultMode = 'error' | 'reset' | 'commit-then-drop';

export interface FaultRuleInput {
  method?: string;
  path: string;
  status?: number;
  rate?: number;
  count?: number;
  latencyMs?: number;
  retryAfterSeconds?: number;
  mode?: FaultMode;
}

export interface FaultRule extends Required<Pick<FaultRuleInput, 'method' | 'path' | 'rate'>> {
  id: number;
  mode: FaultMode | 'latency';
  status: number | null;
  /** Remaining applications; null = unlimited. */
  count: number | null;
  latencyMs: number;
  retryAfterSeconds: number | null;
  /** How many requests this rule has hit so far. */
  hits: number;
}

/** A fault chosen for one request. */
export type FaultDecision = Pick<FaultRule, 'id' | 'mode' | 'status' | 'latencyMs' | 'retryAfterSeconds'>;

/**
 * Injected faults (the control API's `/__emulator/faults`). Rules match by method and a path
 * pattern where `*` stands for any characters; the first matching rule that fires applies.
 * `rate` draws from a seeded generator so a run of the same requests faults the same way.
 */
export class FaultRegistry {
  private rules: FaultRule[] = [];
  private nextId = 1;
  private randomState: number;

  constructor(private readonly seed: string) {
    this.randomState = hashSeed(seed);
  }

  /** Validates and adds a rule; returns the problems instead when the input is invalid. */
  add(input: unknown): FaultRule | { problems: string[] } {
    const problems = validateFaultInput(input);
    if (problems.length > 0) return { problems };
    const i = input as FaultRuleInput;
    const mode: FaultRule['mode'] = i.mode ?? (i.status !== undefined ? 'error' : i.latencyMs !== undefined ? 'latency' : 'error');
    const rule: FaultRule = {
      id: this.nextId++,
      method: (i.method ?? '*').toUpperCase(),
      path: i.path,
      status: mode === 'error' ? (i.status ?? 503) : (i.status ?? null),
      rate: i.rate ?? 1,
      count: i.count ?? null,
      latencyMs: i.latencyMs ?? 0,
      retryAfterSeconds: i.retryAfterSeconds ?? null,
      mode,
      hits: 0,
    };
    this.rules.push(rule);
    return rule;
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  remove(id: number): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }

  /** Removes every rule and restarts the rate sampling, so a cleared registry behaves like a new one. */
  clear(): number {
    const n = this.rules.length;
    this.rules = [];
    this.randomState = hashSeed(this.seed);
    return n;
  }

  /** Decides whether a request faults. Consumes one application of the rule when it fires. */
  decide(method: string, path: string): FaultDecision | null {
    for (const rule of this.rules) {
      if (rule.method !== '*' && rule.method !== method.toUpperCase()) continue;
      if (!pathMatches(rule.path, path)) continue;
      if (rule.rate < 1 && this.random() >= rule.rate) continue;
      rule.hits++;
      if (rule.count !== null) {
        rule.count--;
        if (rule.count <= 0) this.rules = this.rules.filter((r) => r !== rule);
      }
      return { id: rule.id, mode: rule.mode, status: rule.status, latencyMs: rule.latencyMs, retryAfterSeconds: rule.retryAfterSeconds };
    }
    return null;
  }

  // mulberry32: tiny, seedable, good enough for fault sampling.
  private random(): number {
    this.randomState = (this.randomState + 0x6d2b79f5) | 0;
    let t = this.randomState;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

export function pathMatches(pattern: string, path: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`);
  return regex.test(path);
}

function escapeRegex(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

function hashSeed(seed: string): number {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
  return h >>> 0;
}

const MODES: FaultMode[] = ['error', 'reset', 'commit-then-drop'];

function validateFaultInput(input: unknown): string[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return ['body must be a JSON object'];
  const i = input as Record<string, unknown>;
  const problems: string[] = [];
  const known = ['method', 'path', 'status', 'rate', 'count', 'latencyMs', 'retryAfterSeconds', 'mode'];
  for (const key of Object.keys(i)) if (!known.includes(key)) problems.push(`unknown field "${key}"`);
  if (typeof i.path !== 'string' || !i.path.startsWith('/')) problems.push('path must be a string starting with "/" (may contain *)');
  if (i.method !== undefined && (typeof i.method !== 'string' || !/^(\*|GET|POST|PUT|PATCH|DELETE)$/i.test(i.method))) {
    problems.push('method must be one of GET, POST, PUT, PATCH, DELETE or *');
  }
  if (i.status !== undefined && (!Number.isInteger(i.status) || (i.status as number) < 400 || (i.status as number) > 599)) {
    problems.push('status must be an integer between 400 and 599');
  }
  if (i.rate !== undefined && (typeof i.rate !== 'number' || i.rate <= 0 || i.rate > 1)) problems.push('rate must be a number in (0, 1]');
  if (i.count !== undefined && (!Number.isInteger(i.count) || (i.count as number) < 1)) problems.push('count must be a positive integer');
  if (i.latencyMs !== undefined && (!Number.isInteger(i.latencyMs) || (i.latencyMs as number) < 0 || (i.latencyMs as number) > 120000)) {
    problems.push('latencyMs must be an integer between 0 and 120000');
  }
  if (i.retryAfterSeconds !== undefined && (!Number.isInteger(i.retryAfterSeconds) || (i.retryAfterSeconds as number) < 0)) {
    problems.push('retryAfterSeconds must be a non-negative integer');
  }
  if (i.mode !== undefined && !MODES.includes(i.mode as FaultMode)) problems.push(`mode must be one of ${MODES.join(', ')}`);
  if (i.mode !== undefined && i.mode !== 'error' && i.status !== undefined) problems.push(`status only applies to mode "error"`);
  return problems;
}
