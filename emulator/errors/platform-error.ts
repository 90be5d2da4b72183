/**
 * An error the emulator answers with: an HTTP status plus the exact body (and headers) the
 * real Platform service would send. Route handlers throw it; the app's error handler sends it.
 */
export class PlatformHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body === 'object' && body && 'title' in body ? String(body.title) : `HTTP ${status}`);
  }
}
