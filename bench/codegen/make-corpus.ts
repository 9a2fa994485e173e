/**
 * The bench:codegen corpus: `modules` modules × `handlers` handlers, written twice with the same content —
 * as `.proto` files (for mqgen, protoc-gen-es and ts-proto) and as mqgen YAML schemas. Each handler has its
 * own request and response message with fields of mixed types, an enum, a shared message and (in .proto)
 * a nested message, so generators do realistic work rather than emitting empty shells.
 *
 * Run alone: `node --import tsx bench/codegen/make-corpus.ts [outDir]` (default bench/work/corpus).
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { benchRoot } from "../support/measure.js";

export interface CorpusOptions {
  readonly modules: number;
  readonly handlers: number;
}

export interface Corpus {
  readonly protoDir: string;
  readonly yamlDir: string;
  readonly files: number;
  readonly handlers: number;
  readonly messages: number;
  readonly protoLines: number;
  readonly yamlLines: number;
}

const pad = (n: number): string => String(n).padStart(2, "0");

function moduleType(index: number): string {
  return `mod${pad(index)}`;
}

function serviceName(index: number): string {
  return `Mod${pad(index)}`;
}

/** One proto file: a service, a module-wide enum and paging message, and per handler request/response. */
export function protoModule(index: number, handlers: number): string {
  const pkg = moduleType(index);
  const out: string[] = [
    'syntax = "proto3";',
    "",
    `package ${pkg};`,
    "",
    `// Module ${pkg}: generated benchmark corpus.`,
    `service ${serviceName(index)} {`,
  ];
  for (let k = 0; k < handlers; k++) {
    out.push(`  // Handler ${k} of ${pkg}.`);
    out.push(`  rpc Method${k}(Method${k}Request) returns (Method${k}Response);`);
  }
  out.push("}", "");
  out.push("enum Status {", "  STATUS_UNKNOWN = 0;", "  STATUS_ACTIVE = 1;", "  STATUS_DISABLED = 2;", "  STATUS_DELETED = 3;", "}", "");
  out.push("message Page {", "  int32 offset = 1;", "  int32 size = 2;", "  string cursor = 3;", "}", "");
  for (let k = 0; k < handlers; k++) {
    out.push(
      `message Method${k}Request {`,
      "  string name = 1;",
      "  int64 id = 2;",
      "  repeated string tags = 3;",
      "  Page page = 4;",
      "  optional int32 limit = 5;",
      "  map<string, string> labels = 6;",
      "  bool flag = 7;",
      "  double score = 8;",
      "  Status status = 9;",
      "}",
      "",
      `message Method${k}Response {`,
      "  message Item {",
      "    string key = 1;",
      "    double value = 2;",
      "    bytes blob = 3;",
      "    uint32 rank = 4;",
      "  }",
      "  Status status = 1;",
      "  repeated Item items = 2;",
      "  int64 total = 3;",
      "  Page next = 4;",
      "  map<string, int32> counts = 5;",
      "  float ratio = 6;",
      "}",
      "",
    );
  }
  return out.join("\n");
}

/** The same module as an mqgen YAML schema (nested messages become module-level ones). */
export function yamlModule(index: number, handlers: number): string {
  const pkg = moduleType(index);
  const out: string[] = [
    `module: ${pkg}`,
    `package: ${pkg}`,
    "version: 1.0.0",
    `doc: "Module ${pkg}: generated benchmark corpus."`,
    "handlers:",
  ];
  for (let k = 0; k < handlers; k++) {
    out.push(`  method${k}:`, `    doc: Handler ${k} of ${pkg}.`, "    params:", `      - request: Method${k}Request`, `    returns: Method${k}Response`);
  }
  out.push("enums:", "  Status: [STATUS_UNKNOWN, STATUS_ACTIVE, STATUS_DISABLED, STATUS_DELETED]");
  out.push("messages:", "  Page:", "    fields:", "      offset: int32", "      size: int32", "      cursor: string");
  for (let k = 0; k < handlers; k++) {
    out.push(
      `  Method${k}Request:`,
      "    fields:",
      "      name: string",
      "      id: int64",
      "      tags: string[]",
      "      page: Page",
      "      limit: int32?",
      "      labels: map<string, string>",
      "      flag: bool",
      "      score: double",
      "      status: Status",
      `  Method${k}Item:`,
      "    fields:",
      "      key: string",
      "      value: double",
      "      blob: bytes",
      "      rank: uint32",
      `  Method${k}Response:`,
      "    fields:",
      "      status: Status",
      `      items: Method${k}Item[]`,
      "      total: int64",
      "      next: Page",
      "      counts: map<string, int32>",
      "      ratio: float",
    );
  }
  return `${out.join("\n")}\n`;
}

export function makeCorpus(dir: string, options: CorpusOptions): Corpus {
  rmSync(dir, { recursive: true, force: true });
  const protoDir = join(dir, "proto");
  const yamlDir = join(dir, "yaml");
  mkdirSync(protoDir, { recursive: true });
  mkdirSync(yamlDir, { recursive: true });
  let protoLines = 0;
  let yamlLines = 0;
  for (let i = 0; i < options.modules; i++) {
    const proto = protoModule(i, options.handlers);
    const yaml = yamlModule(i, options.handlers);
    writeFileSync(join(protoDir, `${moduleType(i)}.proto`), proto);
    writeFileSync(join(yamlDir, `${moduleType(i)}.yaml`), yaml);
    protoLines += proto.split("\n").length;
    yamlLines += yaml.split("\n").length;
  }
  return {
    protoDir,
    yamlDir,
    files: options.modules,
    handlers: options.modules * options.handlers,
    // Per module: Page, and per handler Request, Response and Item.
    messages: options.modules * (1 + 3 * options.handlers),
    protoLines,
    yamlLines,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? join(benchRoot, "work", "corpus");
  const corpus = makeCorpus(dir, { modules: 50, handlers: 10 });
  console.log(JSON.stringify(corpus, null, 2));
}
