/**
 * The node's log as a caller may provide it (PawNodeInit.logger); src/logging.ts makes the
 * default one. Imports nothing internal. Browser-safe.
 */

export type LogFields = Record<string, unknown>

export interface Logger {
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
  /** A logger that adds `fields` to every line (e.g. the component name). */
  child(fields: LogFields): Logger
}
