/** The `--lock` / `--no-lock` flags of the commands that generate code (`mqgen`, `mqgen check`). */
import { resolve } from "node:path";
import { DEFAULT_LOCK_FILE, readContractBaseline } from "../breaking/index.js";
import type { ContractSnapshot } from "../breaking/index.js";
import type { FlagSpec, ParsedArgs } from "./args.js";
import { stringFlag, UsageError } from "./args.js";

export const LOCK_FLAGS: readonly FlagSpec[] = [
  { names: ["--lock"], takesValue: true },
  { names: ["--no-lock"], takesValue: false },
];

export const LOCK_FLAGS_HELP = `  --lock <file>      contract baseline: handlers keep the contract id recorded there while their wire
                     contract is unbroken (default: mqgen.lock.json, when it exists)
  --no-lock          ignore the lock file: every contract id is the handler's current structural hash`;

/** The baseline the flags name; throws BreakingCheckError when the lock cannot be read. */
export function contractBaselineOf(args: ParsedArgs, cwd: string): ContractSnapshot | undefined {
  const named = stringFlag(args, "--lock");
  if (args.flags.has("--no-lock")) {
    if (named !== undefined) throw new UsageError("--lock and --no-lock exclude each other");
    return undefined;
  }
  return readContractBaseline(resolve(cwd, named ?? DEFAULT_LOCK_FILE), named !== undefined);
}
