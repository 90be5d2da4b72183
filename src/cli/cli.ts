import { ConfigError, loadConfig, type AppConfig } from '../config/config.js';

/** Where a command-line tool writes: lines for the user, and lines about what went wrong. */
export interface CliOutput {
  log(line: string): void;
  error(line: string): void;
}

/** The configuration from `env`, or null once `report` was told what is wrong with it (the tool then exits 2). */
export function loadCliConfig(env: NodeJS.ProcessEnv, report: (problem: string) => void): AppConfig | null {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    report(error.message);
    return null;
  }
}

/**
 * Runs a tool as the process's entry point: the process exits with the status `run` returns; an
 * error `run` did not handle is printed after `failurePrefix` to stderr, with status 1.
 */
export function runAsMain(run: () => Promise<number>, failurePrefix: string): void {
  run().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`${failurePrefix}${(error as Error).message}`);
      process.exit(1);
    },
  );
}
