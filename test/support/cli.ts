/** Runs the mqgen CLI in this process, as the real binary would, and collects what it prints. */
import { main } from "../../codegen/cli/main.js";

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export async function runMqgen(argv: readonly string[], cwd: string): Promise<CliRun> {
  let out = "";
  let err = "";
  const code = await main(argv, { cwd, out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}
