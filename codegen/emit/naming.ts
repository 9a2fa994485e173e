/**
 * Per-file naming and import bookkeeping: which identifier a schema type has inside one generated file
 * (aliased only when two packages declare the same name) and which imports that file needs.
 */
import type { ScalarKind, TypeRef } from "../model.js";
import type { TypeIndex } from "../types-index.js";
import { typesOfPackage } from "../types-index.js";
import { compareStrings } from "../model.js";
import { packageFileStem, safeIdentifier } from "../names.js";

const TS_SCALAR: Readonly<Record<ScalarKind, string>> = {
  bool: "boolean",
  int32: "number",
  int64: "bigint",
  uint32: "number",
  uint64: "bigint",
  float: "number",
  double: "number",
  string: "string",
  bytes: "Uint8Array",
  sint32: "number",
  sint64: "bigint",
  fixed32: "number",
  fixed64: "bigint",
  sfixed32: "number",
  sfixed64: "bigint",
};

export function tsScalar(kind: ScalarKind): string {
  return TS_SCALAR[kind];
}

export class FileImports {
  /** Package whose declarations live in (types file) or are re-exported by (module file) this file. */
  private readonly homePackage: string;
  private readonly index: TypeIndex;
  /** Whether the home package's declarations are defined in this very file (no import needed). */
  private readonly homeIsLocal: boolean;
  private readonly homeNames: Set<string>;
  private readonly aliases = new Map<string, string>();
  private readonly taken = new Set<string>();
  private readonly fromPackages = new Map<string, Map<string, string>>();
  private readonly external = new Map<string, { values: Set<string>; types: Set<string> }>();

  /** `reserved`: names the file declares itself (client class, descriptor, …), so imports get aliased around them. */
  constructor(index: TypeIndex, homePackage: string, homeIsLocal: boolean, reserved: readonly string[] = []) {
    this.index = index;
    this.homePackage = homePackage;
    this.homeIsLocal = homeIsLocal;
    this.homeNames = new Set();
    const home = typesOfPackage(index, homePackage);
    for (const m of home.messages) this.homeNames.add(safeIdentifier(m.name));
    for (const e of home.enums) {
      this.homeNames.add(safeIdentifier(e.name));
      this.homeNames.add(`${safeIdentifier(e.name)}Type`);
    }
    for (const name of this.homeNames) this.taken.add(name);
    for (const name of reserved) this.taken.add(name);
  }

  /** Marks a runtime (or gate-client) import as used. */
  use(module: string, name: string, kind: "value" | "type"): string {
    const entry = this.external.get(module) ?? { values: new Set<string>(), types: new Set<string>() };
    (kind === "value" ? entry.values : entry.types).add(name);
    this.external.set(module, entry);
    return name;
  }

  /** The identifier of a schema message or enum in this file; `suffix` picks the enum's `…Type` value. */
  declared(fullName: string, suffix = ""): string {
    const decl = this.index.messages.get(fullName) ?? this.index.enums.get(fullName);
    if (!decl) throw new Error(`internal: unresolved type ${fullName}`);
    const name = `${safeIdentifier(decl.name)}${suffix}`;
    if (decl.package === this.homePackage) {
      if (!this.homeIsLocal) this.importFrom(decl.package, name, name);
      return name;
    }
    const key = `${decl.package}\u0000${name}`;
    let local = this.aliases.get(key);
    if (local === undefined) {
      local = this.taken.has(name) ? `${packageFileStem(decl.package).replace(/[.-]/g, "_")}_${name}` : name;
      this.aliases.set(key, local);
      this.taken.add(local);
    }
    this.importFrom(decl.package, name, local);
    return local;
  }

  private importFrom(pkg: string, name: string, local: string): void {
    const names = this.fromPackages.get(pkg) ?? new Map<string, string>();
    names.set(name, local);
    this.fromPackages.set(pkg, names);
  }

  /** TypeScript type of a schema type (as a field, param or result). */
  tsType(ref: TypeRef): string {
    return ref.kind === "ref" ? this.declared(resolvedName(ref)) : builtinTsType(ref);
  }

  /** Import lines, sorted: external modules first, then sibling generated files. */
  lines(): string[] {
    const out: string[] = [];
    for (const module of [...this.external.keys()].sort(compareStrings)) {
      const entry = this.external.get(module) as { values: Set<string>; types: Set<string> };
      if (entry.values.size > 0) out.push(importLine("import", [...entry.values].sort(compareStrings), module));
      if (entry.types.size > 0) out.push(importLine("import type", [...entry.types].sort(compareStrings), module));
    }
    for (const pkg of [...this.fromPackages.keys()].sort(compareStrings)) {
      const names = this.fromPackages.get(pkg) as Map<string, string>;
      const specifiers = [...names.entries()]
        .sort((a, b) => compareStrings(a[0], b[0]))
        .map(([name, local]) => (name === local ? name : `${name} as ${local}`));
      out.push(importLine("import", specifiers, `./${packageFileStem(pkg)}.types.js`));
    }
    return out;
  }
}

/** TypeScript type of a schema type that names no declaration: scalars, untyped maps, void. */
export function builtinTsType(ref: Exclude<TypeRef, { kind: "ref" }>): string {
  switch (ref.kind) {
    case "scalar":
      return tsScalar(ref.scalar);
    case "map":
      return "Record<string, unknown>";
    case "mapstr":
      return "Record<string, string>";
    case "void":
      return "void";
  }
}

export function resolvedName(ref: TypeRef): string {
  if (ref.kind !== "ref") throw new Error(`internal: ${ref.kind} is not a reference`);
  if (!ref.resolved) throw new Error(`internal: unresolved type ${ref.name}`);
  return ref.resolved.fullName;
}

/** JSDoc block for a doc string at an indentation, or "" without a doc. `*\/` cannot end the comment early. */
export function jsdoc(doc: string, indent: string): string {
  const text = doc.replace(/\*\//g, "*\\/").trim();
  if (text === "") return "";
  const lines = text.split(/\r?\n/).map((l) => l.trimEnd());
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((l) => (l === "" ? `${indent} *` : `${indent} * ${l}`)).join("\n")}\n${indent} */\n`;
}

/** Longest line the emitters write before breaking a list over several lines. */
export const MAX_LINE = 120;

function importLine(keyword: string, names: readonly string[], from: string): string {
  const flat = `${keyword} { ${names.join(", ")} } from "${from}";`;
  if (flat.length <= MAX_LINE) return flat;
  return `${keyword} {\n${names.map((n) => `  ${n},`).join("\n")}\n} from "${from}";`;
}

/**
 * `head(a, b, c)tail` on one line when it fits at `indent`, else one item per line (with trailing commas),
 * the way a formatter would lay it out.
 */
export function wrapList(indent: string, head: string, items: readonly string[], tail: string): string {
  const flat = `${indent}${head}(${items.join(", ")})${tail}`;
  if (flat.length <= MAX_LINE || items.length === 0) return flat;
  return `${indent}${head}(\n${items.map((i) => `${indent}  ${i},`).join("\n")}\n${indent})${tail}`;
}
