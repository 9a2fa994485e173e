/**
 * Programmatic API of the generator: `loadModel` (parse + validate) and `generate` (… + emit), both
 * in-process so tests, the benchmark and the contract checks call them without spawning the CLI.
 */
import { loadModel, readSchemaSources, type LoadOptions } from "./load.js";
import type { Diagnostic, SchemaModel } from "./model.js";
import { emitAll } from "./emit/index.js";
import { carriedContractIds } from "./breaking/contracts.js";
import type { ContractSnapshot } from "./breaking/snapshot.js";

export type { Diagnostic, SchemaModel } from "./model.js";
export { formatDiagnostic } from "./model.js";
export { loadModel, readSchemaSources, type LoadOptions, type LoadResult, type SchemaSource } from "./load.js";

export interface GenerateResult {
  /** Path relative to the output folder → file content. Empty when there are diagnostics. */
  readonly files: Map<string, string>;
  readonly diagnostics: readonly Diagnostic[];
  readonly model: SchemaModel;
}

export interface GenerateOptions extends LoadOptions {
  /**
   * The contract baseline (normally the committed `mqgen.lock.json`): handlers whose wire contract has not
   * broken since keep the contract id recorded there, so nodes and callers on either side of a compatible
   * change still match at run time (see breaking/contracts.ts). Without it every id is the structural hash.
   */
  readonly baseline?: ContractSnapshot;
}

export function generate(options: GenerateOptions): GenerateResult {
  const sources = options.sources ?? readSchemaSources(options.schemaDir);
  const { model, diagnostics } = loadModel({ schemaDir: options.schemaDir, sources });
  if (diagnostics.length > 0) return { files: new Map(), diagnostics, model };
  const ids = options.baseline && carriedContractIds(model, options.baseline);
  return { files: emitAll(model, ids), diagnostics, model };
}
