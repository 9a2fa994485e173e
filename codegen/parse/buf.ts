/**
 * The .proto front end: buf (the compiler protoc-gen-es users build with) compiles every schema file in one
 * run into a descriptor set with source info (a binary image, read by image.ts), or reports every compile
 * error with its file, line and column. mqgen reads descriptors, not .proto text, so it accepts exactly what
 * protoc accepts and rejects the rest with protoc's checks. buf ships its binary in its npm package; nothing
 * else is needed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import type { Diagnostic } from "../model.js";
import type { FileDescriptor } from "./descriptor.js";
import { decodeImage } from "./image.js";
import { BATCH_BYTES, batchesOf, declarationsOf, hasCrossFileClash, inRunOrder } from "./buf-batches.js";
import type { Declarations } from "./buf-batches.js";

const require = createRequire(import.meta.url);

/** The platform binary itself (skipping the package's node shim saves a node start per run). */
function bufBinary(): string {
  let pkg: string;
  try {
    pkg = dirname(require.resolve("@bufbuild/buf/package.json"));
  } catch {
    throw new BufMissingError();
  }
  const platform = `@bufbuild/buf-${process.platform}-${process.arch === "x64" ? "x64" : process.arch}`;
  try {
    const native = join(dirname(require.resolve(`${platform}/package.json`, { paths: [pkg] })), "bin", process.platform === "win32" ? "buf.exe" : "buf");
    if (existsSync(native)) return native;
  } catch {
    // Fall back to the package's launcher, which finds the binary itself.
  }
  return join(pkg, "bin", "buf");
}

/** Said as a diagnostic, not a stack trace: .proto schemas need the buf package installed beside mqgen. */
class BufMissingError extends Error {
  constructor() {
    super("compiling .proto schemas needs the @bufbuild/buf package (npm install @bufbuild/buf)");
  }
}

export interface BufSource {
  /** Path inside the schema folder, `/`-separated (what imports name). */
  readonly rel: string;
  readonly text: string;
}

export interface BufResult<T = FileDescriptor> {
  readonly files: readonly T[];
  /** Compile errors, by `rel` path; the caller maps them to display paths. */
  readonly errors: readonly (Omit<Diagnostic, "file"> & { readonly rel: string })[];
}

interface BufError {
  readonly path?: string;
  readonly start_line?: number;
  readonly start_column?: number;
  readonly message?: string;
}

const SCHEMA_MODULE = "schemas";
const OPTIONS_MODULE = "mqgen-proto";

/** Compiles `sources` (see readProtos) into their descriptors and those of what they import. */
export function compileProtos(sources: readonly BufSource[], optionsDir: string, batchBytes = BATCH_BYTES): BufResult {
  return readProtos(sources, optionsDir, (file) => file, batchBytes);
}

/**
 * Compiles `sources` (plus mqgen/options.proto from `optionsDir`) and gives each compiled file, in the
 * image's order, to `read` as soon as it is decoded, so no descriptor outlives its reading. A file that
 * fails to compile is reported and the rest are compiled again without it (and without what imports it),
 * so one broken file never hides another file's problems. More than `batchBytes` of sources compile in
 * batches when that gives what one run gives (buf-batches.ts); `read` must then be free of side effects,
 * since a batched reading that does not stand is dropped.
 */
export function readProtos<T>(sources: readonly BufSource[], optionsDir: string, read: (file: FileDescriptor) => T, batchBytes = BATCH_BYTES): BufResult<T> {
  const work = mkdtempSync(join(tmpdir(), "mqgen-buf-"));
  try {
    for (const source of sources) {
      const path = join(work, SCHEMA_MODULE, source.rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, source.text);
    }
    symlinkSync(resolve(optionsDir), join(work, OPTIONS_MODULE), "dir");
    writeFileSync(join(work, "buf.yaml"), `version: v2\nmodules:\n  - path: ${SCHEMA_MODULE}\n  - path: ${OPTIONS_MODULE}\n`);
    if (sources.reduce((n, s) => n + s.text.length, 0) > batchBytes) {
      const files = readInBatches(work, sources, optionsDir, read, batchBytes);
      if (files !== undefined) return { files, errors: [] };
    }
    const errors: BufResult["errors"][number][] = [];
    const seen = new Set<string>();
    const failed = new Set<string>();
    let remaining = sources.map((s) => s.rel);
    for (let round = 0; round <= sources.length && remaining.length > 0; round++) {
      const run = runBuf(work, round === 0 ? [] : remaining.map((rel) => join(SCHEMA_MODULE, rel)));
      if (run.ok) return { files: Array.from(decodeImage(run.image), read), errors };
      const fresh = run.errors.filter((e) => !failed.has(e.rel));
      if (fresh.length === 0) break;
      for (const e of fresh) {
        const key = JSON.stringify([e.rel, e.line, e.col, e.message]);
        if (!seen.has(key)) {
          seen.add(key);
          errors.push(e);
        }
        failed.add(e.rel);
      }
      remaining = remaining.filter((rel) => !failed.has(rel));
    }
    return { files: [], errors };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Every batch with the options module's files as targets too, as in one run; undefined when one run must decide. */
function readInBatches<T>(work: string, sources: readonly BufSource[], optionsDir: string, read: (file: FileDescriptor) => T, batchBytes: number): T[] | undefined {
  const optionsFiles = readdirSync(optionsDir, { recursive: true, encoding: "utf8" })
    .filter((p) => p.endsWith(".proto"))
    .map((p) => p.split(sep).join("/"));
  const size = new Map(sources.map((s) => [s.rel, s.text.length]));
  const byName = new Map<string, { readonly dependency?: readonly string[]; readonly declared: Declarations; readonly value: T }>();
  for (const batch of batchesOf(sources.map((s) => s.rel), (rel) => size.get(rel) ?? 0, batchBytes)) {
    const run = runBuf(work, [...batch.map((rel) => join(SCHEMA_MODULE, rel)), ...optionsFiles.map((rel) => join(OPTIONS_MODULE, rel))]);
    if (!run.ok) return undefined;
    for (const file of decodeImage(run.image)) {
      if (!byName.has(file.name)) byName.set(file.name, { dependency: file.dependency, declared: declarationsOf(file), value: read(file) });
    }
  }
  const ordered = inRunOrder(byName, [sources.map((s) => s.rel), optionsFiles]);
  return ordered === undefined || hasCrossFileClash(ordered.map((f) => f.declared)) ? undefined : ordered.map((f) => f.value);
}

/** One buf run over the workspace, or over `only` (paths in the workspace) and what they import. */
function runBuf(work: string, only: readonly string[]): { ok: true; image: Buffer } | { ok: false; errors: BufResult["errors"][number][] } {
  // Binary, not JSON: a third of the size, and decoded without a JSON tree ten times the schemas' size.
  const image = join(work, "image.binpb");
  const args = ["build", "--error-format", "json", "-o", image, ...only.flatMap((path) => ["--path", path])];
  let binary: string;
  try {
    binary = bufBinary();
  } catch (error) {
    if (error instanceof BufMissingError) return { ok: false, errors: [{ rel: "", line: 1, col: 1, message: error.message }] };
    throw error;
  }
  const run = spawnSync(binary, args, { cwd: work, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (run.status === 0) return { ok: true, image: readFileSync(image) };
  const errors: BufResult["errors"][number][] = [];
  for (const line of `${run.stderr}\n${run.stdout}`.split("\n")) {
    if (!line.startsWith("{")) continue;
    let error: BufError;
    try {
      error = JSON.parse(line) as BufError;
    } catch {
      continue;
    }
    const path = error.path ?? "";
    const rel = path.startsWith(`${SCHEMA_MODULE}/`) ? path.slice(SCHEMA_MODULE.length + 1) : path;
    errors.push({ rel, line: error.start_line ?? 1, col: error.start_column ?? 1, message: error.message ?? "compile error" });
  }
  if (errors.length === 0) {
    // Not a compile error (buf missing, crashed): say what it said, once.
    const text = `${run.stderr}${run.stdout}`.trim() || (run.error ? String(run.error.message) : `exit ${run.status ?? run.signal}`);
    errors.push({ rel: "", line: 1, col: 1, message: `buf: ${text.split("\n")[0] ?? text}` });
  }
  return { ok: false, errors };
}
