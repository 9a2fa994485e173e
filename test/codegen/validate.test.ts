// Parser and validator: bad schemas and the exact `file:line:col: message` lines they produce, all at once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDiagnostic, generate, loadModel } from "../../codegen/index.js";
import type { SchemaSource } from "../../codegen/index.js";

function diagnose(sources: SchemaSource[]): string[] {
  return loadModel({ schemaDir: "/nonexistent/schemas", sources }).diagnostics.map(formatDiagnostic);
}

const BAD_YAML = `module: bad
version: 1.0.0
handlers:
  sayHi:
    params:
      - name: string
      - name: int32
      - class: string
      - list: string[]
      - options: string
    returns: Missing
  sayHi2:
    wire: /sayHi
  sayHi3:
    wire: /sayHi
  say:
    gate: true
    wire: say
    returns: int64
  HD_thing:
    wire: HD_thing
  delete: {}
  colors:
    params:
      - c: Color
    returns: Reply[]
  unknownKey:
    wires: /x
messages:
  Reply:
    fields:
      a: string
      b:
        type: int32
        no: 1
      c:
        type: string
        no: 19001
      d: map<double, string>
      e: common.Nope
      f: google.protobuf.Api
enums:
  Color:
    values:
      RED: 1
      BLUE: 1
pushes:
  pushed: string
`;

test("a bad YAML schema reports every problem with its position", () => {
  assert.deepEqual(diagnose([{ path: "schemas/bad.yaml", text: BAD_YAML }]), [
    "schemas/bad.yaml:7:9: duplicate param 'name' of 'sayHi' (first at schemas/bad.yaml:6:9)",
    "schemas/bad.yaml:9:9: param 'list' of 'sayHi' is a list; mqant has no such argument type, wrap it in a message",
    "schemas/bad.yaml:11:14: unknown type 'Missing'",
    "schemas/bad.yaml:13:11: wire name '/sayHi' of 'sayHi2' is already used by 'sayHi' in module 'bad'",
    "schemas/bad.yaml:15:11: wire name '/sayHi' of 'sayHi3' is already used by 'sayHi' in module 'bad'",
    "schemas/bad.yaml:18:11: gate handler 'say' must have a wire name starting with HD_ (mqant routes only HD_ handlers from clients), not 'say'",
    "schemas/bad.yaml:19:14: result of gate handler 'say' must be a message, void or one of string, bool, int32, uint32, float, double (it travels inside the gate's JSON reply)",
    "schemas/bad.yaml:21:11: wire name 'HD_thing' starts with HD_ but 'HD_thing' is not a gate handler; set gate: true or rename it",
    "schemas/bad.yaml:26:14: result of 'colors' is a list; mqant has no such result type, wrap it in a message",
    "schemas/bad.yaml:28:5: unknown key 'wires' in handler 'unknownKey' (expected one of: wire, doc, mode, gate, params, request, returns, timeoutMs, retrySafe, deprecated)",
    "schemas/bad.yaml:33:7: field number 1 of 'b' is already used by 'a' in Reply",
    "schemas/bad.yaml:36:7: field number 19001 of 'c' is in the range 19000-19999 reserved by protobuf",
    "schemas/bad.yaml:39:7: field 'd': map key type 'double' cannot be a key (use string, bool or an integer type)",
    "schemas/bad.yaml:40:7: unknown type 'common.Nope'",
    "schemas/bad.yaml:41:7: well-known type 'google.protobuf.Api' is not supported (Timestamp, Duration, Empty, the wrappers, Struct, Value, ListValue, FieldMask and Any are, imported from a .proto); declare a message of your own",
    "schemas/bad.yaml:45:7: the first value of enum 'Color' must be 0 (proto3), not 1",
    `schemas/bad.yaml:46:7: "BLUE" uses the same enum value as "RED" (1); if this is intended, set 'option allow_alias = true;' on enum Color`,
    "schemas/bad.yaml:48:3: push 'pushed' must carry a message",
  ]);
});

// The bad-input corpus (test/fixtures/bad-proto): what protoc rejects (each error at buf's exact token, in
// protoc's words, with protoc's notes and field-number suggestions), syntax errors, a missing import, and
// what protoc accepts but mqant cannot carry (mqgen's own checks), every file in one run.
test("the bad .proto corpus reports every problem at its line and column in protoc's words, all files in one run", () => {
  const result = generate({ schemaDir: "test/fixtures/bad-proto" });
  assert.deepEqual(
    result.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`),
    [
      'bad-proto/braces.proto:6:24: Field number 1 has already been used in "bad.braces.M" by field "s".',
      'bad-proto/dup.proto:4:9: "A" is already defined in "bad.dup".',
      'bad-proto/dup.proto:4:37: Field number 1 has already been used in "bad.dup.A" by field "s".',
      'bad-proto/dup.proto:4:62: Field "u" uses reserved number 2.',
      "bad-proto/dup.proto:4:62: Suggested field numbers for bad.dup.A: 3",
      'bad-proto/dup.proto:5:13: "Unknown" is not defined.',
      "bad-proto/dup.proto:5:40: Field numbers cannot be greater than 536870911.",
      "bad-proto/dup.proto:5:40: Suggested field numbers for bad.dup.B: 2",
      'bad-proto/dup.proto:6:33: "Res" is not defined.',
      'bad-proto/dup.proto:7:10: "ONE" is already defined in "bad.dup".',
      'bad-proto/dup.proto:7:10: Note that enum values use C++ scoping rules, meaning that enum values are siblings of their type, not children of it.  Therefore, "ONE" must be unique within "bad.dup", not just within "F".',
      "bad-proto/dup.proto:7:16: The first enum value must be zero for open enums.",
      'bad-proto/dup.proto:10:38: Field name "loser" is reserved.',
      'bad-proto/dup.proto:10:56: "d" is already defined in "bad.dup.C".',
      "bad-proto/dup.proto:10:86: Field numbers must be positive integers.",
      "bad-proto/dup.proto:10:86: Suggested field numbers for bad.dup.C: 4",
      "bad-proto/dup.proto:10:101: Field numbers 19000 through 19999 are reserved for the protocol buffer library implementation.",
      `bad-proto/dup.proto:11:31: "bad.dup.G_ALSO" uses the same enum value as "bad.dup.G_ZERO". If this is intended, set 'option allow_alias = true;' to the enum definition. The next available enum value is 1.`,
      'bad-proto/imports.proto:3:1: Import "missing/thing.proto" was not found or had errors.',
      "bad-proto/mqant.proto:7:60: gate handler 'say' must have a wire name starting with HD_ (mqant routes only HD_ handlers from clients), not 'say'",
      "bad-proto/mqant.proto:8:7: rpc 'Stream' streams; mqant handlers take and return one value",
      "bad-proto/old.proto:4:3: field 'id' is required (proto2 required / LEGACY_REQUIRED); mqgen has no required fields, make it optional",
      "bad-proto/old.proto:5:3: field 'n' has a default value ([default = 7]); mqgen decodes a missing field as its zero value, so it is refused rather than read differently",
      "bad-proto/old.proto:6:3: field 'list' is a repeated scalar written unpacked (proto2's default, [packed = false] or EXPANDED); mqgen writes them packed, so add [packed = true] or drop the option",
      'bad-proto/syntax.proto:3:26: Expected ";".',
      "bad-proto/syntax.proto:4:13: Expected field name.",
      "bad-proto/syntax.proto:5:1: Expected message name.",
      'bad-proto/syntax.proto:6:22: Expected "=".',
      "bad-proto/unclosed.proto:4:11: Reached end of input in message definition (missing '}').",
      'bad-proto/version.proto:1:10: Unrecognized syntax identifier "proto4".  This parser only recognizes "proto2" and "proto3".',
    ],
  );
});

test("problems across files are reported together: duplicate module types and duplicate types", () => {
  const a = "module: shop\nmessages:\n  Item:\n    fields:\n      name: string\n";
  const b = "module: shop\npackage: shop\nmessages:\n  Item:\n    fields:\n      id: int32\n";
  assert.deepEqual(diagnose([{ path: "schemas/b.yaml", text: b }, { path: "schemas/a.yaml", text: a }]), [
    "schemas/b.yaml:1:9: duplicate module type 'shop' (first declared at schemas/a.yaml:1:9)",
    "schemas/b.yaml:4:3: duplicate type 'shop.Item' (first declared at schemas/a.yaml:3:3)",
  ]);
});

test("YAML syntax errors and shape errors point at the offending node", () => {
  assert.deepEqual(diagnose([{ path: "schemas/broken.yaml", text: "module: [\n" }]), [
    "schemas/broken.yaml:2:1: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
  ]);
  const shape = "module: m\nhandlers:\n  a:\n    params:\n      name: string\n    mode: fast\n    timeoutMs: -5\n  b:\n    returns: 'list<int>'\n";
  assert.deepEqual(diagnose([{ path: "schemas/shape.yaml", text: shape }]), [
    "schemas/shape.yaml:5:7: params of 'a' must be a list (its order is the wire order), e.g. - name: string",
    "schemas/shape.yaml:6:11: mode of 'a' must be serial or concurrent, not 'fast'",
    "schemas/shape.yaml:7:16: timeoutMs of 'a' must be a positive number of milliseconds",
    "schemas/shape.yaml:9:14: cannot parse type 'list<int>' (expected e.g. string, Foo, pkg.Foo, Foo[], string?, map<string, Foo>)",
  ]);
});

test("gate handlers: named params become one request message, whose field names must be identifiers", () => {
  const gate = "module: g\nhandlers:\n  say:\n    gate: true\n    params:\n      - text: string\n      - 'two words': string\n";
  assert.deepEqual(diagnose([{ path: "schemas/g.yaml", text: gate }]), [
    "schemas/g.yaml:7:9: param 'two words' of SayRequest: 'two words' is not a valid identifier",
  ]);
  const clash = "module: g\nhandlers:\n  say:\n    gate: true\nmessages:\n  SayRequest:\n    fields: {}\n";
  assert.deepEqual(diagnose([{ path: "schemas/g.yaml", text: clash }]), [
    "schemas/g.yaml:6:3: message 'SayRequest' has the name mqgen gives the request of the gate handler at schemas/g.yaml:3:3; rename it, or use it as that handler's request: SayRequest",
  ]);
});

test("type names the generated code uses itself are escaped, not rejected", () => {
  const text = "package: t\nmessages:\n  Session:\n    fields:\n      id: string\nenums:\n  field: [A]\n";
  assert.deepEqual(diagnose([{ path: "schemas/t.yaml", text }]), []);
  const { files } = generate({ schemaDir: "schemas", sources: [{ path: "schemas/t.yaml", text }] });
  const types = files.get("t.types.ts") ?? "";
  assert.match(types, /^export interface Session\$ \{$/m);
  assert.match(types, /^export const Session\$: MessageType<Session\$> = defineMessage<Session\$>\("t\.Session", /m);
  assert.match(types, /^export const field\$Type: EnumType<field\$> = defineEnum\("t\.field", field\$\);$/m);
});

test("types may not take the names generated for their module", () => {
  const text = "module: chat\nmessages:\n  ChatClient:\n    fields: {}\n  chat:\n    fields: {}\n";
  assert.deepEqual(diagnose([{ path: "schemas/chat.yaml", text }]), [
    "schemas/chat.yaml:3:3: 'ChatClient' clashes with a name generated for module 'chat'; rename the type",
    "schemas/chat.yaml:5:3: 'chat' clashes with a name generated for module 'chat'; rename the type",
  ]);
});

test("a valid schema set loads into a sorted model with resolved references", () => {
  const { model, diagnostics } = loadModel({ schemaDir: "schemas" });
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(model.modules.map((m) => m.type), ["chat", "helloworld", "rpctest"]);
  const hello = model.modules.find((m) => m.type === "helloworld");
  assert.ok(hello);
  const sayHi = hello.handlers[0];
  assert.ok(sayHi);
  assert.equal(sayHi.wireName, "/say/hi");
  assert.equal(sayHi.mode, "concurrent");
  assert.deepEqual(sayHi.params.map((p) => [p.name, p.type.kind]), [["name", "scalar"]]);
  assert.deepEqual(sayHi.pos, { file: "schemas/helloworld.yaml", line: 6, col: 3 });
  const rpctest = model.modules.find((m) => m.type === "rpctest");
  assert.deepEqual(rpctest?.handlers.map((h) => [h.method, h.wireName, h.timeoutMs ?? null, h.retrySafe]), [
    ["testMarshal", "/test/marshal", null, true],
    ["testProto", "/test/proto", 3000, false],
  ]);
  const request = rpctest?.handlers[1]?.params[0]?.type;
  assert.deepEqual(request?.kind === "ref" ? request.resolved : undefined, { target: "message", fullName: "rpctest.ResultInfo" });
  assert.deepEqual(rpctest?.pos, { file: "schemas/rpctest.proto", line: 9, col: 9 });
});

test("YAML reserved numbers and names: malformed entries and fields that reuse them", () => {
  const yaml = `module: shop
version: 1.0.0
handlers:
  buy:
    params:
      - item: Item
    returns: string
messages:
  Item:
    reserved: [2, "5-7", old_name, "x-y"]
    fields:
      name: string
      old_name: { type: string, no: 3 }
      price: { type: double, no: 6 }
      count: { type: int32, no: 8 }
`;
  assert.deepEqual(diagnose([{ path: "shop.yaml", text: yaml }]), [
    `shop.yaml:10:36: reserved entry of message 'Item' must be a field number, a "from-to" range or a name`,
    "shop.yaml:13:7: field name 'old_name' of message 'Item' is reserved",
    "shop.yaml:14:7: field 'price' of message 'Item' uses reserved number 6",
  ]);
});
