// The binary image decoder reads the same descriptors buf writes as JSON (`buf build -o image.json`, what
// mqgen read before): every field mqgen or protobuf-es reads, custom options under their JSON names, and
// each file's source locations, over the fixture schemas and sources that use editions, proto2, oneofs,
// reserved ranges, extensions and negative enum values.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { decodeImage } from "../../codegen/parse/image.js";
import { sourceLocations } from "../../codegen/parse/descriptor.js";

const BUF = resolve("node_modules", ".bin", "buf");

/** Keys of the descriptor types in codegen/parse/descriptor.ts; everything else in buf's JSON is not read. */
const READ = new Set([
  "name", "package", "dependency", "syntax", "edition", "messageType", "enumType", "service", "extension", "options",
  "field", "nestedType", "oneofDecl", "reservedRange", "reservedName", "extensionRange", "number", "label", "type",
  "typeName", "jsonName", "defaultValue", "oneofIndex", "proto3Optional", "extendee", "value", "method", "inputType",
  "outputType", "clientStreaming", "serverStreaming", "start", "end", "features", "fieldPresence",
  "repeatedFieldEncoding", "deprecated", "mapEntry", "allowAlias", "packed",
]);

function project(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(project);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (READ.has(key) || key.startsWith("[mqgen.")) out[key] = project(v);
  return out;
}

function images(sources: Readonly<Record<string, string>>): { json: { file: Record<string, unknown>[] }; binary: Buffer } {
  const work = mkdtempSync(join(tmpdir(), "mqgen-image-test-"));
  try {
    for (const [rel, text] of Object.entries(sources)) {
      mkdirSync(dirname(join(work, "schemas", rel)), { recursive: true });
      writeFileSync(join(work, "schemas", rel), text);
    }
    symlinkSync(resolve("proto"), join(work, "mqgen-proto"), "dir");
    writeFileSync(join(work, "buf.yaml"), "version: v2\nmodules:\n  - path: schemas\n  - path: mqgen-proto\n");
    for (const out of ["image.json", "image.binpb"]) {
      const run = spawnSync(BUF, ["build", "-o", out], { cwd: work, encoding: "utf8" });
      assert.equal(run.status, 0, run.stderr);
    }
    return { json: JSON.parse(readFileSync(join(work, "image.json"), "utf8")), binary: readFileSync(join(work, "image.binpb")) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function protoSources(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith(".proto")) out[relative(dir, full)] = readFileSync(full, "utf8");
    }
  };
  walk(dir);
  return out;
}

const INLINE: Readonly<Record<string, string>> = {
  "ed.proto": 'edition = "2023";\npackage ed;\noption features.field_presence = IMPLICIT;\nmessage M {\n  string s = 1 [features.field_presence = EXPLICIT];\n  repeated int32 r = 2 [features.repeated_field_encoding = EXPANDED];\n}\n',
  "p2.proto": 'syntax = "proto2";\npackage p2;\nmessage M {\n  optional string s = 1 [default = "x", deprecated = true];\n  required int32 q = 2;\n  repeated int32 r = 3 [packed = false];\n  optional group G = 4 { optional int32 a = 1; }\n  extensions 100 to 199;\n  reserved 20 to 29, 40;\n  reserved "old";\n  extend M { optional int32 nested = 150; }\n}\nextend M { optional string top = 101; }\nenum E { option allow_alias = true; NEG = -1; ZERO = 0; ALIAS = 0 [deprecated = true]; }\n',
  "p3.proto": 'syntax = "proto3";\npackage p3;\nimport "google/protobuf/timestamp.proto";\nimport "mqgen/options.proto";\n// A service.\nservice Svc {\n  option (mqgen.module_type) = "svc";\n  option deprecated = true;\n  rpc Do(M) returns (google.protobuf.Timestamp) { option (mqgen.gate) = true; option (mqgen.wire_name) = "HD_do"; option (mqgen.timeout_ms) = 4294967295; }\n  rpc Stream(stream M) returns (stream M);\n}\nmessage M {\n  option (mqgen.push_topic) = "t/m";\n  oneof pick { string a = 1; int64 b = 2 [json_name = "bee"]; }\n  optional int32 o = 3;\n  map<string, M> children = 4;\n}\n',
};

test("the binary image decodes to the descriptors of buf's JSON image", () => {
  const sets = ["schemas", "test/fixtures/codegen/kitchen", "test/fixtures/codegen/game", "test/fixtures/codegen/hostile", "test/fixtures/codegen/differential"]
    .map(protoSources);
  for (const sources of [...sets, INLINE]) {
    const { json, binary } = images(sources);
    const decoded = [...decodeImage(binary)];
    assert.deepEqual(decoded.map((f) => f.name), json.file.map((f) => f["name"]));
    decoded.forEach((file, i) => {
      const expected = json.file[i] as { sourceCodeInfo?: { location?: Record<string, unknown>[] } };
      assert.deepEqual(project(file), project(expected), file.name);
      // Detached comments are not read.
      const locations = (expected.sourceCodeInfo?.location ?? []).map(({ leadingDetachedComments: _d, ...l }) => ({ path: [], ...l }));
      assert.deepEqual(sourceLocations(file), locations, `${file.name}: source info`);
    });
  }
});
