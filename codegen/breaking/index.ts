/**
 * `mqgen lock` and `mqgen breaking` as functions, so tests and other tools call them in-process.
 * Exit codes follow buf: 0 clean (warnings may be printed), 100 violations, 1 the check could not run.
 */
import { resolve } from "node:path";
import { formatDiagnostic } from "../model.js";
import type { Violation } from "./compare.js";
import { compareSnapshots, compareViolations } from "./compare.js";
import { isAllowed, readAllowComments } from "./allow.js";
import { BreakingCheckError, loadBaseline, loadSchemas } from "./baseline.js";
import { isRuleId } from "./rules.js";
import { serializeLock } from "./snapshot.js";
import type { ContractSnapshot } from "./snapshot.js";
import { contractIds, withContractIds } from "./contracts.js";

export { BreakingCheckError, loadBaseline, loadSchemas, readContractBaseline, readLockFile } from "./baseline.js";
export { compareSnapshots } from "./compare.js";
export type { Violation } from "./compare.js";
export { RULES, CONTRACT_RULES, isRuleId } from "./rules.js";
export type { RuleId, RuleInfo, RuleCategory, Severity } from "./rules.js";
export { serializeLock, parseLock, snapshotFromModel } from "./snapshot.js";
export type { ContractSnapshot } from "./snapshot.js";

export const EXIT_CLEAN = 0;
export const EXIT_FAILURE = 1;
export const EXIT_VIOLATIONS = 100;

export const DEFAULT_LOCK_FILE = "mqgen.lock.json";

/**
 * The lock file's text for a schema folder, with each handler's contract id carried over from `previous`
 * (the lock being replaced) where its wire contract has not broken. Throws BreakingCheckError when the
 * schemas have errors.
 */
export function lockText(schemaDir: string, previous?: ContractSnapshot): string {
  const { model, snapshot } = loadSchemas(schemaDir);
  return serializeLock(withContractIds(snapshot, contractIds(model, snapshot, previous)));
}

export interface BreakingOptions {
  readonly schemaDir: string;
  /** Lock file, schema folder, `git:<ref>` or `git:<ref>:<path>`; default `mqgen.lock.json`. */
  readonly against?: string;
  /** Rule IDs allowed everywhere. */
  readonly allow?: readonly string[];
  /** Relative paths and `git:` baselines resolve against this (default: the process's). */
  readonly cwd?: string;
}

export interface BreakingReport {
  /** What is printed: errors, warnings and malformed allow comments, sorted by position. */
  readonly violations: readonly Violation[];
  /** Violations suppressed by `--allow` or an allow comment. */
  readonly allowed: readonly Violation[];
  readonly exitCode: typeof EXIT_CLEAN | typeof EXIT_VIOLATIONS;
}

export function checkBreaking(options: BreakingOptions): BreakingReport {
  for (const id of options.allow ?? []) {
    if (!isRuleId(id)) throw new BreakingCheckError(`--allow ${id}: no such rule`);
  }
  const cwd = options.cwd ?? process.cwd();
  const schemaDir = resolve(cwd, options.schemaDir);
  const next = loadSchemas(schemaDir);
  const previous = loadBaseline(options.against ?? DEFAULT_LOCK_FILE, schemaDir, cwd);
  const comments = readAllowComments(next.sources);
  const cliAllowed = new Set(options.allow ?? []);
  const violations: Violation[] = [...comments.problems];
  const allowed: Violation[] = [];
  for (const violation of compareSnapshots(previous, next.snapshot)) {
    if (isAllowed(violation, comments, cliAllowed)) allowed.push(violation);
    else violations.push(violation);
  }
  violations.sort(compareViolations);
  const failing = violations.some((v) => v.severity === "error");
  return { violations, allowed, exitCode: failing ? EXIT_VIOLATIONS : EXIT_CLEAN };
}

export type OutputFormat = "text" | "json" | "github-actions";

export function formatViolation(v: Violation, format: OutputFormat): string {
  switch (format) {
    case "text":
      return `${v.pos.file}:${v.pos.line}:${v.pos.col}: ${v.rule} ${v.severity === "warning" ? "(warning) " : ""}${v.message}`;
    case "json":
      return JSON.stringify({
        path: v.pos.file,
        start_line: v.pos.line,
        start_column: v.pos.col,
        type: v.rule,
        category: v.category,
        severity: v.severity,
        message: v.message,
      });
    case "github-actions":
      return `::${v.severity} file=${escapeProperty(v.pos.file)},line=${v.pos.line},col=${v.pos.col},title=${v.rule}::${escapeData(v.message)}`;
  }
}

/** GitHub workflow command escaping (actions/toolkit `command.ts`). */
function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export function formatFailure(error: BreakingCheckError, format: OutputFormat): string[] {
  const lines: string[] = [];
  if (format === "github-actions") {
    for (const d of error.diagnostics) lines.push(`::error file=${escapeProperty(d.file)},line=${d.line},col=${d.col}::${escapeData(d.message)}`);
    lines.push(`::error::${escapeData(error.message)}`);
    return lines;
  }
  for (const d of error.diagnostics) lines.push(formatDiagnostic(d));
  lines.push(error.message);
  return lines;
}
