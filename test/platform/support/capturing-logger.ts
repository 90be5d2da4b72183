import type { PlatformLogger } from '../../../src/platform/platform-logger.js';

/** A logger that keeps every line, to assert on what the client logged (and that no secret is in it). */
export class CapturingLogger implements PlatformLogger {
  readonly lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];

  debug(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'debug', fields, message });
  }
  info(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'info', fields, message });
  }
  warn(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'warn', fields, message });
  }
  error(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'error', fields, message });
  }

  /** Everything logged, as one string. */
  text(): string {
    return JSON.stringify(this.lines);
  }
}
