/**
 * The logger the Platform client writes to: pino's calling convention (`logger.debug(fields, message)`),
 * so the process logger can be passed in as is. The client never logs headers, bodies, tokens or secrets.
 */
export interface PlatformLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** A logger that drops everything: the default when none is given. */
export const silentPlatformLogger: PlatformLogger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});
