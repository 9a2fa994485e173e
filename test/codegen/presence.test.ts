// Field presence follows the file's syntax, as protoc and protobuf-es read it: proto3 implicit unless
// `optional`, proto2 `optional` explicit, editions explicit unless `features.field_presence = IMPLICIT`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { generate } from "../../codegen/index.js";

function typesOf(path: string, text: string): string {
  const { files, diagnostics } = generate({ schemaDir: "schemas", sources: [{ path, text }] });
  assert.deepEqual(diagnostics, []);
  return [...files.entries()].find(([name]) => name.endsWith(".types.ts"))?.[1] ?? "";
}

test("editions: singular fields have explicit presence unless IMPLICIT; proto2 optional is explicit", () => {
  const editions = typesOf("schemas/ed.proto", 'edition = "2023";\npackage ed;\nmessage M {\n  string s = 1;\n  int32 i = 2 [features.field_presence = IMPLICIT];\n  repeated int32 r = 3;\n}\n');
  assert.match(editions, /^ {2}s\?: string;$/m);
  assert.match(editions, /^ {2}i: number;$/m);
  assert.match(editions, /^ {2}r: number\[\];$/m);
  const fileWide = typesOf("schemas/ef.proto", 'edition = "2023";\npackage ef;\noption features.field_presence = IMPLICIT;\nmessage M {\n  string s = 1;\n}\n');
  assert.match(fileWide, /^ {2}s: string;$/m);
  const proto2 = typesOf("schemas/p2.proto", 'syntax = "proto2";\npackage p2;\nmessage M {\n  optional string s = 1;\n  repeated int32 r = 2 [packed = true];\n}\n');
  assert.match(proto2, /^ {2}s\?: string;$/m);
  const proto3 = typesOf("schemas/p3.proto", 'syntax = "proto3";\npackage p3;\nmessage M {\n  string s = 1;\n  optional string o = 2;\n}\n');
  assert.match(proto3, /^ {2}s: string;$/m);
  assert.match(proto3, /^ {2}o\?: string;$/m);
});
