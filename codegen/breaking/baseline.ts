/**
 * Loads the two sides of a comparison. The new side is always a schema folder; the baseline is the
 * committed lock file (the default: no git history needed, so shallow CI clones work), a schema folder,
 * or a git revision (`git:<ref>` for the same schema folder at that revision, `git:<ref>:<path>` for a lock
 * file or another folder at that revision).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative, resolve, sep } from "node:path";
import { loadModel, readSchemaSources } from "../load.js";
import type { Diagnostic, SchemaModel } from "../model.js";
import type { SourceText } from "./allow.js";
import type { ContractSnapshot } from "./snapshot.js";
import { parseLock, snapshotFromModel } from "./snapshot.js";

/** The comparison could not run (bad input, unreadable baseline, schemas that do not parse). Exit code 1. */
export class BreakingCheckError extends Error {
  readonly diagnostics: readonly Diagnostic[];
  constructor(message: string, diagnostics: readonly Diagnostic[] = []) {
    super(message);
    this.name = "BreakingCheckError";
    this.diagnostics = diagnostics;
  }
}

export interface LoadedSchemas {
  readonly model: SchemaModel;
  readonly snapshot: ContractSnapshot;
  readonly sources: readonly SourceText[];
}

/**
 * Parses a schema folder into a snapshot. `label` replaces the folder name in display paths, so a
 * baseline extracted to a temporary folder reports the same paths as the working tree.
 */
export function loadSchemas(schemaDir: string, label?: string): LoadedSchemas {
  if (!existsSync(schemaDir) || !statSync(schemaDir).isDirectory()) {
    throw new BreakingCheckError(`${schemaDir}: not a schema folder`);
  }
  let sources = readSchemaSources(schemaDir);
  if (label !== undefined) {
    const own = basename(resolve(schemaDir));
    sources = sources.map((s) => ({ ...s, path: label + s.path.slice(own.length) }));
  }
  const { model, diagnostics } = loadModel({ schemaDir, sources });
  if (diagnostics.length > 0) {
    throw new BreakingCheckError(`${schemaDir}: the schemas have errors`, diagnostics);
  }
  return { model, snapshot: snapshotFromModel(model), sources };
}

export function readLockFile(path: string): ContractSnapshot {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new BreakingCheckError(`${path}: cannot read the lock file (${(error as NodeJS.ErrnoException).code ?? String(error)}); create it with \`mqgen lock\``);
  }
  try {
    return parseLock(text, path);
  } catch (error) {
    throw new BreakingCheckError(error instanceof Error ? error.message : String(error));
  }
}

/**
 * The contract baseline generation carries contract ids over from: the lock file at `path`. A missing file
 * is no baseline unless `required` (it was named on the command line); an unreadable one is an error, since
 * generating without it would silently change every id.
 */
export function readContractBaseline(path: string, required: boolean): ContractSnapshot | undefined {
  if (!required && !existsSync(path)) return undefined;
  return readLockFile(path);
}

function git(args: readonly string[], cwd: string): { stdout: Buffer; stderr: string; status: number | null } {
  const result = spawnSync("git", args, { cwd, maxBuffer: 256 * 1024 * 1024 });
  if (result.error) throw new BreakingCheckError(`git ${args[0]}: ${result.error.message}`);
  return { stdout: result.stdout, stderr: result.stderr.toString("utf8").trim(), status: result.status };
}

/** `against` as given on the command line; `schemaDir` is the new side's folder. */
export function loadBaseline(against: string, schemaDir: string, cwd: string = process.cwd()): ContractSnapshot {
  if (against.startsWith("git:")) return loadGitBaseline(against.slice("git:".length), resolve(cwd, schemaDir), cwd);
  against = resolve(cwd, against);
  if (!existsSync(against)) throw new BreakingCheckError(`${against}: no such lock file or schema folder`);
  // A folder keeps its own display paths: what was removed is reported where it was.
  if (statSync(against).isDirectory()) return loadSchemas(against).snapshot;
  return readLockFile(against);
}

function loadGitBaseline(spec: string, schemaDir: string, cwd: string): ContractSnapshot {
  // `<ref>` or `<ref>:<path>`; refs never contain ':' (git check-ref-format forbids it).
  const colon = spec.indexOf(":");
  const ref = colon < 0 ? spec : spec.slice(0, colon);
  const pathArg = colon < 0 ? schemaDir : spec.slice(colon + 1);
  if (ref === "") throw new BreakingCheckError("git: needs a revision, e.g. git:main or git:HEAD~1");
  const top = git(["rev-parse", "--show-toplevel"], cwd);
  if (top.status !== 0) throw new BreakingCheckError(`git:${spec}: not inside a git repository (${top.stderr})`);
  const root = top.stdout.toString("utf8").trim();
  const verify = git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], cwd);
  if (verify.status !== 0) {
    throw new BreakingCheckError(
      `git:${spec}: unknown revision '${ref}' (in a shallow clone fetch it first, or compare against the committed mqgen.lock.json)`,
    );
  }
  const repoPath = relative(root, resolve(cwd, pathArg)).split(sep).join("/");
  if (repoPath.startsWith("..")) throw new BreakingCheckError(`git:${spec}: ${pathArg} is outside the repository`);

  if (pathArg.endsWith(".json")) {
    const shown = git(["show", `${ref}:${repoPath}`], cwd);
    if (shown.status !== 0) throw new BreakingCheckError(`git:${spec}: ${shown.stderr}`);
    try {
      return parseLock(shown.stdout.toString("utf8"), `${ref}:${repoPath}`);
    } catch (error) {
      throw new BreakingCheckError(error instanceof Error ? error.message : String(error));
    }
  }

  if (repoPath !== "" && git(["cat-file", "-e", `${ref}:${repoPath}`], cwd).status !== 0) {
    // The folder did not exist at that revision: everything in it is new.
    return { modules: [], messages: [], enums: [] };
  }
  const tmp = mkdtempSync(join(tmpdir(), "mqgen-breaking-"));
  try {
    const archive = git(["archive", "--format=tar", ref, "--", repoPath === "" ? "." : repoPath], cwd);
    if (archive.status !== 0) throw new BreakingCheckError(`git:${spec}: ${archive.stderr}`);
    const untar = spawnSync("tar", ["-x", "-C", tmp], { input: archive.stdout });
    if (untar.status !== 0) throw new BreakingCheckError(`git:${spec}: tar: ${untar.stderr.toString("utf8").trim()}`);
    const extracted = join(tmp, repoPath);
    return loadSchemas(extracted, basename(resolve(schemaDir))).snapshot;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
