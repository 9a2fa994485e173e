/**
 * Reading schemas into one model: the files of a folder, each parsed by its front end (YAML or .proto),
 * merged, validated and sorted. Apart from generate() (index.ts) so the breaking-change check, which
 * generate() itself uses for contract ids, can load a model without importing the generator.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative, resolve, sep } from "node:path";
import type { Diagnostic, SchemaModel } from "./model.js";
import { compareDiagnostics, compareStrings, sortModel } from "./model.js";
import { parseProtoSchemas } from "./parse/proto.js";
import { wellKnownImports } from "./parse/well-known.js";
import type { ProtoSource } from "./parse/proto.js";
import { parseYamlSchema } from "./parse/yaml.js";
import { validateModel } from "./validate.js";

export interface SchemaSource {
  /** Display path, `/`-separated (`schemas/chat.yaml`); used in diagnostics and `// source:` lines. */
  readonly path: string;
  readonly text: string;
  /** Absolute path, for resolving .proto imports; defaults to the display path (minus its first segment) under `schemaDir`. */
  readonly absolutePath?: string;
}

export interface LoadOptions {
  /** Folder holding `*.yaml`, `*.yml` and `*.proto` schemas (searched recursively). */
  readonly schemaDir: string;
  /** Use these sources instead of reading `schemaDir` (any order; the result does not depend on it). */
  readonly sources?: readonly SchemaSource[];
}

export interface LoadResult {
  /** Sorted and, when `diagnostics` is empty, fully resolved. */
  readonly model: SchemaModel;
  /** Sorted by file, line, column. */
  readonly diagnostics: readonly Diagnostic[];
}

const SCHEMA_FILE = /\.(ya?ml|proto)$/;

/** Schema files under `schemaDir`, with display paths that start with the folder's own name. */
export function readSchemaSources(schemaDir: string): SchemaSource[] {
  const root = resolve(schemaDir);
  const label = basename(root);
  const out: SchemaSource[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort(compareStrings)) {
      if (name.startsWith(".")) continue;
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (SCHEMA_FILE.test(name)) {
        const rel = relative(root, full).split(sep).join("/");
        out.push({ path: `${label}/${rel}`, text: readFileSync(full, "utf8"), absolutePath: full });
      }
    }
  };
  walk(root);
  return out;
}

export function loadModel(schemaDirOrOptions: string | LoadOptions): LoadResult {
  const options = typeof schemaDirOrOptions === "string" ? { schemaDir: schemaDirOrOptions } : schemaDirOrOptions;
  const root = resolve(options.schemaDir);
  const sources = [...(options.sources ?? readSchemaSources(root))].sort((a, b) => compareStrings(a.path, b.path));
  const diagnostics: Diagnostic[] = [];
  const parts: SchemaModel[] = [];
  const protoSources: ProtoSource[] = [];
  for (const source of sources) {
    if (source.path.endsWith(".proto")) {
      const rel = source.path.split("/").slice(1).join("/");
      protoSources.push({ path: source.path, text: source.text, absolutePath: source.absolutePath ?? join(root, rel) });
      continue;
    }
    const parsed = parseYamlSchema(source.path, source.text);
    diagnostics.push(...parsed.diagnostics);
    parts.push(parsed.model);
  }
  // Well-known types a YAML schema names come from buf's google/protobuf files, as a .proto import would.
  const proto = parseProtoSchemas(root, protoSources, wellKnownImports(parts));
  diagnostics.push(...proto.diagnostics);
  parts.push(proto.model);
  const merged: SchemaModel = {
    files: parts.flatMap((p) => p.files),
    modules: parts.flatMap((p) => p.modules),
    messages: parts.flatMap((p) => p.messages),
    enums: parts.flatMap((p) => p.enums),
  };
  diagnostics.push(...validateModel(merged));
  return { model: sortModel(merged), diagnostics: dedupe(diagnostics.sort(compareDiagnostics)) };
}

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d, i) => i === 0 || compareDiagnostics(d, diagnostics[i - 1] as Diagnostic) !== 0);
}
