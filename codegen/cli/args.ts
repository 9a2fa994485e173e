/** A small argv parser: flags with values, boolean flags, positionals; unknown flags are usage errors. */
import { resolve } from "node:path";

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface FlagSpec {
  /** Long names (`--out`) and short aliases (`-o`), first one is the key in the result. */
  readonly names: readonly string[];
  readonly takesValue: boolean;
}

export interface ParsedArgs {
  readonly flags: ReadonlyMap<string, string | true>;
  readonly positionals: readonly string[];
}

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const spec = specs.find((s) => s.names.includes(name));
    if (!spec) throw new UsageError(`unknown option ${name}`);
    const key = spec.names[0] as string;
    if (!spec.takesValue) {
      if (eq > 0) throw new UsageError(`option ${name} takes no value`);
      flags.set(key, true);
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === "") throw new UsageError(`option ${name} needs a value`);
    flags.set(key, value);
  }
  return { flags, positionals };
}

export function stringFlag(args: ParsedArgs, key: string): string | undefined {
  const value = args.flags.get(key);
  return typeof value === "string" ? value : undefined;
}

export type OutputFormat = "text" | "json";

export function formatFlag(args: ParsedArgs): OutputFormat {
  const value = stringFlag(args, "--format") ?? "text";
  if (value !== "text" && value !== "json") throw new UsageError(`--format must be text or json, not '${value}'`);
  return value;
}

/**
 * What every command does first: parse its flags, answer --help, and resolve its one optional schema folder
 * (default `schemas`). Undefined when --help was answered.
 */
export function commandArgs(
  argv: readonly string[],
  specs: readonly FlagSpec[],
  io: { readonly cwd: string; out(text: string): void },
  help: string,
): { args: ParsedArgs; schemaDir: string } | undefined {
  const args = parseArgs(argv, specs);
  if (args.flags.has("--help")) {
    io.out(help);
    return undefined;
  }
  if (args.positionals.length > 1) throw new UsageError(`expected one schema folder, got ${args.positionals.join(" ")}`);
  return { args, schemaDir: resolve(io.cwd, args.positionals[0] ?? "schemas") };
}
