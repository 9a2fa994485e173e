/**
 * The logger as mqgen's types name it: the part of pino's `Logger` the runtime and handlers call, written
 * out here instead of imported, so pino's declarations stay out of a consumer's program. Every logger the
 * runtime hands out is a pino logger; a pino logger (or any with these methods) is accepted where one is
 * taken. Methods rather than function-typed properties, so pino's format-checking overloads still fit.
 */
export interface Logger {
  /** The lowest level written (`debug`, `info`, …, or `silent`). */
  readonly level: string;
  fatal(msg: string, ...args: unknown[]): void;
  fatal(obj: unknown, msg?: string, ...args: unknown[]): void;
  error(msg: string, ...args: unknown[]): void;
  error(obj: unknown, msg?: string, ...args: unknown[]): void;
  warn(msg: string, ...args: unknown[]): void;
  warn(obj: unknown, msg?: string, ...args: unknown[]): void;
  info(msg: string, ...args: unknown[]): void;
  info(obj: unknown, msg?: string, ...args: unknown[]): void;
  debug(msg: string, ...args: unknown[]): void;
  debug(obj: unknown, msg?: string, ...args: unknown[]): void;
  trace(msg: string, ...args: unknown[]): void;
  trace(obj: unknown, msg?: string, ...args: unknown[]): void;
  /** A logger that adds `bindings` to every line. */
  child(bindings: Record<string, unknown>): Logger;
  isLevelEnabled(level: string): boolean;
}
