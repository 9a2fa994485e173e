// Names and strings that must never break the generator: package paths, long names, colliding handler
// names, YAML scalars with meaningful text, enum values outside int32, YAML messages in mqgen's words.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { formatDiagnostic, generate, loadModel } from "../../codegen/index.js";
import type { SchemaSource } from "../../codegen/index.js";
import { runMqgen } from "../support/cli.js";

function diagnose(sources: SchemaSource[]): string[] {
  return loadModel({ schemaDir: "schemas", sources }).diagnostics.map(formatDiagnostic);
}

test("GetUser and get_user in one service are named together in the collision message", () => {
  const text = 'syntax = "proto3";\npackage u;\nimport "google/protobuf/empty.proto";\nservice Users {\n  rpc GetUser(google.protobuf.Empty) returns (google.protobuf.Empty);\n  rpc get_user(google.protobuf.Empty) returns (google.protobuf.Empty);\n}\n';
  assert.deepEqual(diagnose([{ path: "schemas/u.proto", text }]), [
    "schemas/u.proto:6:7: handlers 'GetUser' (at schemas/u.proto:5:7) and 'get_user' of module 'users' both become method 'getUser'; rename one",
  ]);
});

test("a package is a name, never a path: `..` and slashes are refused, a long one is a clear error", () => {
  assert.deepEqual(diagnose([{ path: "schemas/a.yaml", text: "package: ../../../../outside\nmessages:\n  M:\n    fields:\n      a: string\n" }]), [
    "schemas/a.yaml:1:10: package '../../../../outside' must be a dotted name of identifiers (like game.v1)",
  ]);
  const long = `p${"x".repeat(299)}`;
  assert.deepEqual(diagnose([{ path: "schemas/b.yaml", text: `package: ${long}\nmessages:\n  M:\n    fields:\n      a: string\n` }]), [
    `schemas/b.yaml:3:3: package '${long.slice(0, 40)}…' is 300 characters long; it names a generated file, so at most 200`,
  ]);
});

test("mqgen with a hostile package writes nothing outside -o and exits 1 with diagnostics, not a stack trace", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mqgen-names-"));
  try {
    mkdirSync(join(dir, "work", "schemas"), { recursive: true });
    writeFileSync(join(dir, "work", "schemas", "a.yaml"), "package: ../../../../outside\nmessages:\n  M:\n    fields:\n      a: string\n");
    writeFileSync(join(dir, "work", "schemas", "b.yaml"), `module: ${"m".repeat(300)}\nhandlers:\n  x:\n    returns: string\n`);
    const run = await runMqgen(["schemas", "-o", "out"], join(dir, "work"));
    assert.equal(run.code, 1);
    assert.doesNotMatch(run.err, /\n\s+at /);
    assert.match(run.err, /^schemas\/a\.yaml:1:10: package '\.\.\/\.\.\/\.\.\/\.\.\/outside' must be a dotted name/m);
    assert.match(run.err, /^schemas\/b\.yaml:1:9: module type 'm{40}…' is 300 characters long/m);
    assert.deepEqual(readdirSync(dir).sort(), ["work"]);
    assert.deepEqual(readdirSync(join(dir, "work")).sort(), ["schemas"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("YAML scalars keep their source text: version 1.10 stays 1.10, 1.0 stays 1.0", () => {
  const text = "module: v\nversion: 1.10\nhandlers:\n  x:\n    wire: 007\n    returns: string\n";
  const { model, diagnostics } = loadModel({ schemaDir: "schemas", sources: [{ path: "schemas/v.yaml", text }] });
  assert.deepEqual(diagnostics, []);
  assert.equal(model.modules[0]?.version, "1.10");
  assert.equal(model.modules[0]?.handlers[0]?.wireName, "007");
  const again = loadModel({ schemaDir: "schemas", sources: [{ path: "schemas/v.yaml", text: text.replace("1.10", "1.0") }] });
  assert.equal(again.model.modules[0]?.version, "1.0");
});

test("enum values outside int32 are refused at generation", () => {
  const text = "package: e\nenums:\n  Big:\n    values:\n      ZERO: 0\n      HUGE: 2147483648\n      LOW: -2147483649\n";
  assert.deepEqual(diagnose([{ path: "schemas/e.yaml", text }]), [
    "schemas/e.yaml:6:7: enum value HUGE = 2147483648 is out of range: enum values are int32 (-2147483648..2147483647)",
    "schemas/e.yaml:7:7: enum value LOW = -2147483649 is out of range: enum values are int32 (-2147483648..2147483647)",
  ]);
});

test("YAML errors are said in mqgen's words, without the library's API advice", () => {
  const diagnostics = diagnose([{ path: "schemas/two.yaml", text: "module: a\n---\nmodule: b\n" }]);
  assert.deepEqual(diagnostics, [
    "schemas/two.yaml:2:1: YAML: a schema file holds one YAML document, but this one has more (a second `---`); split it into files",
  ]);
  assert.doesNotMatch(diagnostics.join("\n"), /parseAllDocuments|please use/);
});

test("two enums of one package may not share a value name (protoc's C++ scoping), with or without buf", () => {
  const text = "package: s\nenums:\n  A: [NONE, ONE]\n  B: [ZERO, ONE]\n";
  assert.deepEqual(diagnose([{ path: "schemas/s.yaml", text }]), [
    'schemas/s.yaml:4:13: "ONE" is already defined in "s" by enum s.A (at schemas/s.yaml:3:13); enum values are siblings of their enum (C++ scoping), so "ONE" must be unique within "s", not just within "B"',
  ]);
});

test("allow_alias: aliases are accepted with it, refused without it, and the option without aliases is refused", () => {
  const aliased = 'syntax = "proto3";\npackage al;\nenum R {\n  option allow_alias = true;\n  R_NONE = 0;\n  EU = 1;\n  EUROPE = 1;\n}\n';
  const { files, diagnostics } = generate({ schemaDir: "schemas", sources: [{ path: "schemas/al.proto", text: aliased }] });
  assert.deepEqual(diagnostics, []);
  assert.match(files.get("al.types.ts") ?? "", /EU: 1,\n {2}EUROPE: 1,/);
  const refused = diagnose([{ path: "schemas/al.proto", text: aliased.replace("  option allow_alias = true;\n", "") }]);
  assert.deepEqual(refused, [
    `schemas/al.proto:6:12: "al.EUROPE" uses the same enum value as "al.EU". If this is intended, set 'option allow_alias = true;' to the enum definition. The next available enum value is 2.`,
  ]);
  const pointless = diagnose([{ path: "schemas/al.proto", text: aliased.replace("  EUROPE = 1;\n", "") }]);
  assert.equal(pointless.length, 1);
  assert.match(pointless[0] ?? "", /^schemas\/al\.proto:\d+:\d+: .*alias/);
  // YAML enums follow the same rule (no way to allow aliases there).
  assert.deepEqual(diagnose([{ path: "schemas/y.yaml", text: "package: y\nenums:\n  R:\n    values:\n      NONE: 0\n      EU: 1\n      EUROPE: 1\n" }]), [
    `schemas/y.yaml:7:7: "EUROPE" uses the same enum value as "EU" (1); if this is intended, set 'option allow_alias = true;' on enum R`,
  ]);
});
