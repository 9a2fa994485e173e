/** What every `mqgen` sub-command implements; main.ts dispatches on the first argument. */

export interface CliIO {
  readonly cwd: string;
  out(text: string): void;
  err(text: string): void;
}

export const EXIT_OK = 0;
/** Validation errors, a failed check, or a usage error. */
export const EXIT_FAILED = 1;
/** A bug or an I/O failure inside mqgen. */
export const EXIT_INTERNAL = 2;

export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  schema validation errors, a failed check, or a usage error
  2  internal error (a bug in mqgen, or an unreadable/unwritable file)`;

export interface Command {
  readonly name: string;
  /** One line for the command list in `mqgen --help`. */
  readonly summary: string;
  readonly help: string;
  run(argv: readonly string[], io: CliIO): Promise<number>;
}
