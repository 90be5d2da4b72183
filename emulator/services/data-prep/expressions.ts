/**
 * Data Prep's expression language (EXPRESSION mappings, stored as `text/x.aep-xl`), as far as
 * the emulator evaluates it: the syntax of Adobe's "Data Prep mapping functions" page (field
 * names with dots, `${…}` for names that are not identifiers, string and number literals,
 * `true`/`false`/`null`, arithmetic, comparisons, `&&`/`||`/`!`, function calls and the
 * `equals`/`equalsIgnoreCase` string methods) and a subset of its functions, listed in
 * {@link SUPPORTED_FUNCTIONS}. An expression that names another function is refused when the
 * mapping set is saved, so nothing silently writes nothing.
 *
 * Evaluation is null-tolerant, as mappings of sparse records need: a missing field reads as
 * null, arithmetic or a string function on null gives null, and a null condition is false.
 */

/** A parsed expression. */
export type Expression =
  | { kind: 'literal'; value: unknown }
  | { kind: 'field'; path: string[] }
  | { kind: 'call'; name: string; args: Expression[] }
  | { kind: 'method'; target: Expression; name: string; args: Expression[] }
  | { kind: 'unary'; operator: '!' | '-'; operand: Expression }
  | { kind: 'binary'; operator: string; left: Expression; right: Expression };

/** Why an expression cannot be parsed or evaluated; the message names the position or function. */
export class ExpressionError extends Error {}

type Fn = (args: unknown[], context: EvaluationContext) => unknown;

/** What an expression reads: the source record (`{data: record}` for Stripe) and the clock. */
export interface EvaluationContext {
  source: Record<string, unknown>;
  nowMs: number;
}

const FUNCTIONS: Record<string, Fn> = {
  // Logical
  iif: ([condition, whenTrue, whenFalse]) => (condition === true ? whenTrue : whenFalse),
  decode: ([key, ...options]) => {
    for (let i = 0; i + 1 < options.length; i += 2) if (options[i] === key) return options[i + 1];
    return options.length % 2 === 1 ? options[options.length - 1] : null;
  },
  // Objects
  contains_key: ([path], context) => typeof path === 'string' && readPath(context.source, path.split('.')) !== undefined,
  is_empty: ([value]) =>
    value === null || value === undefined || (typeof value === 'string' && value === '') || (Array.isArray(value) && value.length === 0) || (isPlainObject(value) && Object.keys(value).length === 0),
  size_of: ([value]) => (Array.isArray(value) || typeof value === 'string' ? value.length : isPlainObject(value) ? Object.keys(value).length : null),
  nullify: () => null,
  to_object: (args) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i + 1 < args.length; i += 2) out[String(args[i])] = args[i + 1];
    return out;
  },
  get_keys: ([value]) => (isPlainObject(value) ? Object.keys(value) : null),
  // Arrays
  coalesce: (args) => args.find((value) => value !== null && value !== undefined) ?? null,
  first: (args) => (args.length === 1 && Array.isArray(args[0]) ? ((args[0] as unknown[])[0] ?? null) : (args[0] ?? null)),
  last: (args) => {
    const list = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
    return list[list.length - 1] ?? null;
  },
  to_array: ([includeNulls, ...values]) => (includeNulls === true ? values : values.filter((v) => v !== null && v !== undefined)),
  // Strings
  concat: (args) => (args.some((a) => a === null || a === undefined) ? null : args.map(text).join('')),
  lower: stringFn((s) => s.toLowerCase()),
  lcase: stringFn((s) => s.toLowerCase()),
  upper: stringFn((s) => s.toUpperCase()),
  ucase: stringFn((s) => s.toUpperCase()),
  trim: stringFn((s) => s.trim()),
  ltrim: stringFn((s) => s.replace(/^\s+/, '')),
  rtrim: stringFn((s) => s.replace(/\s+$/, '')),
  left: ([s, n]) => (typeof s === 'string' && typeof n === 'number' ? s.slice(0, n) : null),
  right: ([s, n]) => (typeof s === 'string' && typeof n === 'number' ? s.slice(Math.max(0, s.length - n)) : null),
  substr: ([s, start, length]) => (typeof s === 'string' && typeof start === 'number' && typeof length === 'number' ? s.substr(start, length) : null),
  replacestr: ([s, find, replace]) => (typeof s === 'string' && typeof find === 'string' && typeof replace === 'string' ? s.split(find).join(replace) : null),
  split: ([s, separator]) => (typeof s === 'string' && typeof separator === 'string' ? s.split(separator) : null),
  // Type conversions
  to_integer: ([s]) => toNumber(s, true),
  to_bigint: ([s]) => toNumber(s, false),
  to_decimal: ([s]) => toNumber(s, false),
  to_float: ([s]) => toNumber(s, false),
  // Aggregation
  min: (args) => (args.length === 0 || args.some((a) => typeof a !== 'number') ? null : Math.min(...(args as number[]))),
  max: (args) => (args.length === 0 || args.some((a) => typeof a !== 'number') ? null : Math.max(...(args as number[]))),
  // Dates
  now: (_args, context) => new Date(context.nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  timestamp: (_args, context) => context.nowMs,
  dformat: ([timestamp, format]) => {
    if (timestamp === null || timestamp === undefined) return null;
    if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) throw new ExpressionError(`dformat needs a timestamp in milliseconds, not ${describe(timestamp)}`);
    if (typeof format !== 'string') throw new ExpressionError('dformat needs a format string');
    return formatDate(new Date(timestamp), format);
  },
  date: ([value, _format, fallback]) => {
    if (value === null || value === undefined) return fallback ?? null;
    const parsed = typeof value === 'number' ? new Date(value) : typeof value === 'string' ? new Date(value) : null;
    if (!parsed || Number.isNaN(parsed.getTime())) throw new ExpressionError(`date could not read ${describe(value)} as a date`);
    return parsed.toISOString().replace(/\.000Z$/, 'Z');
  },
};

/** The functions the emulator evaluates (Adobe's list has more; an expression naming one of those is refused). */
export const SUPPORTED_FUNCTIONS: readonly string[] = Object.keys(FUNCTIONS);

function stringFn(f: (s: string) => string): Fn {
  return ([s]) => (s === null || s === undefined ? null : f(text(s)));
}

/** A value as the language turns it into text: strings as they are, scalars as written, objects as JSON. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? 'null';
}

function toNumber(value: unknown, integer: boolean): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'number' ? value : Number(text(value).trim());
  if (!Number.isFinite(n)) throw new ExpressionError(`${describe(value)} is not a number`);
  return integer ? Math.trunc(n) : n;
}

/** Parses an expression; throws ExpressionError naming the problem (unknown functions included). */
export function parseExpression(text: string): Expression {
  const parser = new Parser(text);
  const expression = parser.parseExpression();
  parser.expectEnd();
  return expression;
}

/** Evaluates a parsed expression against a source record. Throws ExpressionError when a function cannot apply. */
export function evaluate(expression: Expression, context: EvaluationContext): unknown {
  switch (expression.kind) {
    case 'literal':
      return expression.value;
    case 'field': {
      const value = readPath(context.source, expression.path);
      return value === undefined ? null : value;
    }
    case 'call':
      return FUNCTIONS[expression.name]!(
        expression.args.map((arg) => evaluate(arg, context)),
        context,
      );
    case 'method': {
      const target = evaluate(expression.target, context);
      const [arg] = expression.args.map((a) => evaluate(a, context));
      if (target === null || target === undefined) return false;
      if (expression.name === 'equals') return text(target) === text(arg);
      return text(target).toLowerCase() === text(arg).toLowerCase();
    }
    case 'unary': {
      const value = evaluate(expression.operand, context);
      if (expression.operator === '!') return value !== true;
      return typeof value === 'number' ? -value : null;
    }
    case 'binary':
      return binary(expression.operator, expression.left, expression.right, context);
  }
}

function binary(operator: string, leftExpression: Expression, rightExpression: Expression, context: EvaluationContext): unknown {
  if (operator === '&&') return evaluate(leftExpression, context) === true && evaluate(rightExpression, context) === true;
  if (operator === '||') return evaluate(leftExpression, context) === true || evaluate(rightExpression, context) === true;
  const left = evaluate(leftExpression, context);
  const right = evaluate(rightExpression, context);
  switch (operator) {
    case '==':
      return looselyEqual(left, right);
    case '!=':
      return !looselyEqual(left, right);
    case '<':
    case '>':
    case '<=':
    case '>=': {
      if (left === null || right === null || left === undefined || right === undefined) return false;
      const a = left as number | string;
      const b = right as number | string;
      return operator === '<' ? a < b : operator === '>' ? a > b : operator === '<=' ? a <= b : a >= b;
    }
    case '+':
      if (left === null || right === null) return null;
      return typeof left === 'number' && typeof right === 'number' ? left + right : `${text(left)}${text(right)}`;
    default: {
      if (left === null || right === null) return null;
      if (typeof left !== 'number' || typeof right !== 'number') throw new ExpressionError(`'${operator}' needs numbers, not ${describe(left)} and ${describe(right)}`);
      if (operator === '-') return left - right;
      if (operator === '*') return left * right;
      if ((operator === '/' || operator === '%') && right === 0) throw new ExpressionError('division by zero');
      return operator === '/' ? left / right : left % right;
    }
  }
}

function looselyEqual(a: unknown, b: unknown): boolean {
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  return a === b;
}

/** Reads a dotted path from the source; undefined when a step is missing (a string has no fields). */
function readPath(source: Record<string, unknown>, path: readonly string[]): unknown {
  let current: unknown = source;
  for (const key of path) {
    if (!isPlainObject(current) || !Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * A Java `DateTimeFormatter` pattern, in UTC, for the letters dates need: `yyyy` `yy` `MM` `M`
 * `dd` `d` `HH` `H` `mm` `ss` `SSS` `X`/`XXX` (zone, `Z` in UTC) and quoted text (`'T'`).
 */
function formatDate(date: Date, format: string): string {
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  let out = '';
  for (let i = 0; i < format.length;) {
    const ch = format[i]!;
    if (ch === "'") {
      const end = format.indexOf("'", i + 1);
      if (end === -1) throw new ExpressionError('an unterminated quote in a date format');
      out += end === i + 1 ? "'" : format.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    let run = 1;
    while (format[i + run] === ch) run++;
    switch (ch) {
      case 'y':
        out += run === 2 ? pad(date.getUTCFullYear() % 100, 2) : pad(date.getUTCFullYear(), run);
        break;
      case 'M':
        out += pad(date.getUTCMonth() + 1, run);
        break;
      case 'd':
        out += pad(date.getUTCDate(), run);
        break;
      case 'H':
        out += pad(date.getUTCHours(), run);
        break;
      case 'm':
        out += pad(date.getUTCMinutes(), run);
        break;
      case 's':
        out += pad(date.getUTCSeconds(), run);
        break;
      case 'S':
        out += pad(date.getUTCMilliseconds(), 3).slice(0, run);
        break;
      case 'X':
        out += 'Z';
        break;
      default:
        if (/[A-Za-z]/.test(ch)) throw new ExpressionError(`the date format letter '${ch}' is not supported here`);
        out += ch.repeat(run);
    }
    i += run;
  }
  return out;
}

const KEYWORD_OPERATORS: Record<string, string> = { and: '&&', or: '||', eq: '==', ne: '!=', lt: '<', gt: '>', le: '<=', ge: '>=', not: '!' };

class Parser {
  private position = 0;

  constructor(private readonly text: string) {}

  parseExpression(): Expression {
    return this.parseBinary(0);
  }

  expectEnd(): void {
    this.skipSpace();
    if (this.position < this.text.length) throw this.error(`unexpected '${this.text[this.position]}'`);
  }

  private static readonly LEVELS: readonly (readonly string[])[] = [['||'], ['&&'], ['==', '!='], ['<=', '>=', '<', '>'], ['+', '-'], ['*', '/', '%']];

  private parseBinary(level: number): Expression {
    if (level >= Parser.LEVELS.length) return this.parseUnary();
    let left = this.parseBinary(level + 1);
    for (;;) {
      const operator = this.peekOperator(Parser.LEVELS[level]!);
      if (!operator) return left;
      const right = this.parseBinary(level + 1);
      left = { kind: 'binary', operator, left, right };
    }
  }

  private parseUnary(): Expression {
    this.skipSpace();
    if (this.text[this.position] === '!' && this.text[this.position + 1] !== '=') {
      this.position++;
      return { kind: 'unary', operator: '!', operand: this.parseUnary() };
    }
    if (this.peekWord('not')) return { kind: 'unary', operator: '!', operand: this.parseUnary() };
    if (this.text[this.position] === '-') {
      this.position++;
      return { kind: 'unary', operator: '-', operand: this.parseUnary() };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePostfix(target: Expression): Expression {
    for (;;) {
      this.skipSpace();
      if (this.text[this.position] !== '.') return target;
      this.position++;
      const name = this.readIdentifier();
      if (name !== 'equals' && name !== 'equalsIgnoreCase') throw this.error(`the method '${name}' is not supported (equals, equalsIgnoreCase are)`);
      target = { kind: 'method', target, name, args: this.parseArguments() };
    }
  }

  private parsePrimary(): Expression {
    this.skipSpace();
    const ch = this.text[this.position];
    if (ch === undefined) throw this.error('the expression ends too early');
    if (ch === '(') {
      this.position++;
      const inner = this.parseExpression();
      this.expect(')');
      return inner;
    }
    if (ch === '"' || ch === "'") return { kind: 'literal', value: this.readString(ch) };
    if (/[0-9]/.test(ch)) return { kind: 'literal', value: this.readNumber() };
    if (ch === '$' && this.text[this.position + 1] === '{') {
      const end = this.text.indexOf('}', this.position);
      if (end === -1) throw this.error("an unterminated '${'");
      const name = this.text.slice(this.position + 2, end);
      this.position = end + 1;
      return this.continuePath([name]);
    }
    const word = this.readIdentifier();
    if (word === 'true' || word === 'false') return { kind: 'literal', value: word === 'true' };
    if (word === 'null') return { kind: 'literal', value: null };
    this.skipSpace();
    if (this.text[this.position] === '(') {
      if (!(word in FUNCTIONS)) throw new ExpressionError(`the function '${word}' is not available (the emulator evaluates ${SUPPORTED_FUNCTIONS.join(', ')})`);
      return { kind: 'call', name: word, args: this.parseArguments() };
    }
    return this.continuePath([word]);
  }

  /** A field path: `a.b.c`; a segment followed by `(` is a method call, left to parsePostfix. */
  private continuePath(path: string[]): Expression {
    for (;;) {
      const save = this.position;
      this.skipSpace();
      if (this.text[this.position] !== '.') {
        this.position = save;
        return { kind: 'field', path };
      }
      this.position++;
      let segment: string;
      if (this.text.startsWith('${', this.position)) {
        const end = this.text.indexOf('}', this.position);
        if (end === -1) throw this.error("an unterminated '${'");
        segment = this.text.slice(this.position + 2, end);
        this.position = end + 1;
      } else {
        const start = this.position;
        segment = this.readIdentifier();
        this.skipSpace();
        if (this.text[this.position] === '(') {
          // `field.equals(...)`: the path ends before the method.
          this.position = start - 1;
          return { kind: 'field', path };
        }
      }
      path.push(segment);
    }
  }

  private parseArguments(): Expression[] {
    this.expect('(');
    const args: Expression[] = [];
    this.skipSpace();
    if (this.text[this.position] === ')') {
      this.position++;
      return args;
    }
    for (;;) {
      args.push(this.parseExpression());
      this.skipSpace();
      if (this.text[this.position] === ',') {
        this.position++;
        continue;
      }
      this.expect(')');
      return args;
    }
  }

  private peekOperator(operators: readonly string[]): string | undefined {
    this.skipSpace();
    for (const operator of operators) {
      if (!this.text.startsWith(operator, this.position)) continue;
      // `<` must not swallow `<=`, `!` is not `!=`'s prefix here (only listed operators match).
      this.position += operator.length;
      return operator;
    }
    for (const [word, operator] of Object.entries(KEYWORD_OPERATORS)) {
      if (!operators.includes(operator)) continue;
      if (this.peekWord(word)) return operator;
    }
    return undefined;
  }

  private peekWord(word: string): boolean {
    this.skipSpace();
    if (!this.text.startsWith(word, this.position)) return false;
    const after = this.text[this.position + word.length];
    if (after !== undefined && /[A-Za-z0-9_$]/.test(after)) return false;
    this.position += word.length;
    return true;
  }

  private readIdentifier(): string {
    this.skipSpace();
    const match = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(this.text.slice(this.position));
    if (!match) throw this.error(this.position >= this.text.length ? 'the expression ends too early' : `unexpected '${this.text[this.position]}'`);
    this.position += match[0].length;
    return match[0];
  }

  private readNumber(): number {
    const match = /^\d+(\.\d+)?/.exec(this.text.slice(this.position))!;
    this.position += match[0].length;
    return Number(match[0]);
  }

  private readString(quote: string): string {
    let out = '';
    for (let i = this.position + 1; i < this.text.length; i++) {
      const ch = this.text[i]!;
      if (ch === '\\' && i + 1 < this.text.length) {
        out += this.text[++i];
        continue;
      }
      if (ch === quote) {
        this.position = i + 1;
        return out;
      }
      out += ch;
    }
    throw this.error('an unterminated string');
  }

  private expect(ch: string): void {
    this.skipSpace();
    if (this.text[this.position] !== ch) throw this.error(`expected '${ch}'`);
    this.position++;
  }

  private skipSpace(): void {
    while (this.position < this.text.length && /\s/.test(this.text[this.position]!)) this.position++;
  }

  private error(message: string): ExpressionError {
    return new ExpressionError(`${message} at position ${this.position + 1}`);
  }
}
