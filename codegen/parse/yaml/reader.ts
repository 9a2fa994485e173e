/**
 * One YAML schema file as a tree to read from: node positions, typed scalar reads that report what is wrong
 * with the offending node, and YAML syntax errors said in mqgen's words. The section parsers (messages,
 * enums, handlers, pushes) read through it; none of them touches the yaml library directly.
 */
import { createRequire } from "node:module";
import type * as Yaml from "yaml";
import type { Node, Pair, YAMLMap, YAMLSeq, Scalar } from "yaml";
import type { Diagnostic, SourcePos } from "../../model.js";

export type { Node, Pair, YAMLMap };

const require = createRequire(import.meta.url);
let yamlLib: typeof Yaml | undefined;

/** yaml loads on first use, so .proto-only runs (and `mqgen --help`) do not pay for it. */
function loadYaml(): typeof Yaml {
  yamlLib ??= require("yaml") as typeof Yaml;
  return yamlLib;
}

/** The yaml library's error codes, said without its API advice ("please use YAML.parseAllDocuments()"). */
/** Codes whose library text gives advice about the library's own API instead of the schema. */
const SYNTAX_MESSAGES: Readonly<Record<string, string>> = {
  MULTIPLE_DOCS: "a schema file holds one YAML document, but this one has more (a second `---`); split it into files",
};

function syntaxMessage(error: Yaml.YAMLError): string {
  const known = SYNTAX_MESSAGES[error.code];
  if (known !== undefined) return `YAML: ${known}`;
  const first = (error.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
  // Keep the description, never the library's advice about its own API.
  return `YAML: ${first.replace(/;?\s*please use [^.;]*\.?/i, "").replace(/\s*\(?YAML\.[A-Za-z]+\(\)\)?/g, "").trim()}`;
}

export class YamlReader {
  readonly path: string;
  readonly diagnostics: Diagnostic[] = [];
  /** The document's root, or undefined after syntax errors (already reported). */
  readonly root: Node | null | undefined;
  readonly filePos: SourcePos;
  private readonly source: string;
  private readonly lib: typeof Yaml;
  private readonly lines: Yaml.LineCounter;

  constructor(path: string, source: string) {
    this.path = path;
    this.source = source;
    this.lib = loadYaml();
    this.lines = new this.lib.LineCounter();
    this.filePos = { file: path, line: 1, col: 1 };
    const doc = this.lib.parseDocument(source, { lineCounter: this.lines, keepSourceTokens: false, uniqueKeys: true });
    for (const error of doc.errors) this.report(this.posOf(error.pos[0]), syntaxMessage(error));
    this.root = doc.errors.length > 0 ? undefined : doc.contents;
  }

  isMap(node: unknown): node is YAMLMap {
    return this.lib.isMap(node);
  }
  isSeq(node: unknown): node is YAMLSeq {
    return this.lib.isSeq(node);
  }
  isScalar(node: unknown): node is Scalar {
    return this.lib.isScalar(node);
  }
  /** An empty value (`key:` with nothing after it). */
  isEmpty(node: Node | null | undefined): boolean {
    return node == null || (this.isScalar(node) && node.value === null);
  }

  posOf(offset: number): SourcePos {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.path, line: Math.max(line, 1), col };
  }
  nodePos(node: Node | null | undefined, fallback: SourcePos): SourcePos {
    return node?.range ? this.posOf(node.range[0]) : fallback;
  }
  keyPos(pair: Pair): SourcePos {
    return this.nodePos(pair.key as Node, this.filePos);
  }
  valuePos(pair: Pair): SourcePos {
    return this.nodePos(pair.value as Node, this.keyPos(pair));
  }
  keyName(pair: Pair): string {
    return this.isScalar(pair.key) ? this.scalarText(pair.key) : "";
  }
  report(pos: SourcePos, message: string): void {
    this.diagnostics.push({ file: pos.file, line: pos.line, col: pos.col, message });
  }

  /** The pairs of a mapping by key; keys outside `allowed` are reported. */
  entries(map: YAMLMap, allowed: readonly string[] | null, where: string): Map<string, Pair> {
    const out = new Map<string, Pair>();
    for (const pair of map.items) {
      const key = this.keyName(pair);
      if (allowed && !allowed.includes(key)) {
        this.report(this.keyPos(pair), `unknown key '${key}' in ${where} (expected one of: ${allowed.join(", ")})`);
        continue;
      }
      out.set(key, pair);
    }
    return out;
  }

  /**
   * A scalar as text. A plain scalar YAML reads as a number keeps its source text, so `version: 1.10` is
   * "1.10" (not "1.1") and `wire: 007` is "007".
   */
  scalarText(node: Scalar): string {
    if (typeof node.value === "string") return node.value;
    if (node.type === "PLAIN" && node.range) return this.source.slice(node.range[0], node.range[1]);
    return String(node.value);
  }

  stringValue(pair: Pair | undefined, what: string): string | undefined {
    if (!pair) return undefined;
    const value = pair.value as Node | null;
    if (this.isScalar(value) && (typeof value.value === "string" || typeof value.value === "number")) {
      return this.scalarText(value);
    }
    this.report(this.nodePos(value, this.keyPos(pair)), `${what} must be a string`);
    return undefined;
  }
  docValue(pair: Pair | undefined): string {
    return (this.stringValue(pair, "doc") ?? "").trim();
  }
  boolValue(pair: Pair | undefined, what: string): boolean | undefined {
    if (!pair) return undefined;
    const value = pair.value as Node | null;
    if (this.isScalar(value) && typeof value.value === "boolean") return value.value;
    this.report(this.nodePos(value, this.keyPos(pair)), `${what} must be true or false`);
    return undefined;
  }
  intValue(pair: Pair | undefined, what: string): number | undefined {
    if (!pair) return undefined;
    const value = pair.value as Node | null;
    if (this.isScalar(value) && typeof value.value === "number" && Number.isInteger(value.value)) return value.value;
    this.report(this.nodePos(value, this.keyPos(pair)), `${what} must be an integer`);
    return undefined;
  }
}
