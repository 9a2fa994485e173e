/**
 * A large schema set compiled by buf in batches of files instead of in one run. One run's memory grows
 * faster than the input (a 20 MB corpus: 2.9 GB peak against 1.4 GB at 10 MB, and its wall time with it);
 * batches of a few MB each stay near 400 MB and cost the same CPU per file however large the set is.
 *
 * The result must be what one run gives, so a batched compile is only kept when it is provably the same:
 * every batch compiled, no symbol is declared by two files that never shared a run (the one check of
 * protoc's that spans files without an import between them), and the files come in one run's order
 * (each module's files by path, every file after its imports, depth first). Otherwise the caller compiles
 * in one run, which also words every error exactly as before.
 */
import type { FileDescriptor, MessageDescriptor } from "./descriptor.js";

/** Source bytes per batch: a batch of about 2 MB of schemas needs about 300 MB in buf. */
export const BATCH_BYTES = 2_000_000;

/** Consecutive runs of `rels` (in their order) of at most `batchBytes` of text each, by `size`. */
export function batchesOf(rels: readonly string[], size: (rel: string) => number, batchBytes: number): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const rel of rels) {
    if (current.length > 0 && bytes + size(rel) > batchBytes) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(rel);
    bytes += size(rel);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** UTF-8 byte order, as buf sorts paths. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * The files of all batches in the order one run writes them: `modules` lists each module's target files,
 * a module's files are taken by path and each after its imports (depth first, in import order).
 */
export function inRunOrder<F extends { readonly dependency?: readonly string[] | undefined }>(
  byName: ReadonlyMap<string, F>,
  modules: readonly (readonly string[])[],
): F[] | undefined {
  const out: F[] = [];
  const visited = new Set<string>();
  let missing = false;
  const visit = (name: string): void => {
    if (visited.has(name)) return;
    visited.add(name);
    const file = byName.get(name);
    if (file === undefined) {
      missing = true;
      return;
    }
    for (const dependency of file.dependency ?? []) visit(dependency);
    out.push(file);
  };
  for (const targets of modules) for (const name of [...targets].sort(compareUtf8)) visit(name);
  return missing || out.length !== byName.size ? undefined : out;
}

/** What one file declares at file level, for the clash check: kept instead of the file's descriptor. */
export interface Declarations {
  readonly file: string;
  readonly package: string;
  /** Messages, enums, the values of file-level enums (siblings of their enum), services, extensions. */
  readonly names: readonly string[];
  /** `extendee number` of every extension, nested ones too. */
  readonly extensions: readonly string[];
}

export function declarationsOf(file: FileDescriptor): Declarations {
  const names: string[] = [];
  for (const m of file.messageType ?? []) names.push(m.name);
  for (const e of file.enumType ?? []) names.push(e.name, ...(e.value ?? []).map((v) => v.name));
  for (const s of file.service ?? []) names.push(s.name);
  for (const x of file.extension ?? []) names.push(x.name);
  const extensions = (file.extension ?? []).map((x) => `${x.extendee ?? ""} ${x.number}`);
  const walk = (messages: readonly MessageDescriptor[] | undefined): void => {
    for (const m of messages ?? []) {
      for (const x of m.extension ?? []) extensions.push(`${x.extendee ?? ""} ${x.number}`);
      walk(m.nestedType);
    }
  };
  walk(file.messageType);
  return { file: file.name, package: file.package ?? "", names, extensions };
}

/**
 * Whether two files declare the same name, or one declares a name that is another's package (or a prefix
 * of it), or two extend the same message with the same number. Checked at file level only: a clash of
 * nested names implies one of the names they are nested in.
 */
export function hasCrossFileClash(files: readonly Declarations[]): boolean {
  const PACKAGE = "\u0000package";
  const owners = new Map<string, string>();
  const claim = (name: string, owner: string): boolean => {
    const previous = owners.get(name);
    if (previous === undefined) owners.set(name, owner);
    return previous !== undefined && !(previous === PACKAGE && owner === PACKAGE) && previous !== owner;
  };
  for (const { file, package: pkg, names, extensions } of files) {
    if (pkg !== "") {
      const parts = pkg.split(".");
      for (let i = 1; i <= parts.length; i++) if (claim(parts.slice(0, i).join("."), PACKAGE)) return true;
    }
    for (const name of names) if (claim(pkg === "" ? name : `${pkg}.${name}`, file)) return true;
    for (const x of extensions) if (claim(`\u0000extension ${x}`, file)) return true;
  }
  return false;
}
