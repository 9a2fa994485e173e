// Compiling in batches gives exactly what one buf run gives: the same files in the same order with the same
// source info, and, whenever files of different batches clash or a file does not compile, the same errors
// (the batched compile then gives way to one run). Batches of one byte put every file in a batch of its own.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compileProtos } from "../../codegen/parse/buf.js";
import type { BufSource } from "../../codegen/parse/buf.js";
import { declarationsOf, hasCrossFileClash, inRunOrder } from "../../codegen/parse/buf-batches.js";
import { sourceLocations } from "../../codegen/parse/descriptor.js";

const TINY = 1;

function assertSameAsOneRun(sources: readonly BufSource[]): ReturnType<typeof compileProtos> {
  const one = compileProtos(sources, "proto", Number.POSITIVE_INFINITY);
  const batched = compileProtos(sources, "proto", TINY);
  assert.deepEqual(batched.errors, one.errors);
  assert.deepEqual(batched.files.map((f) => f.name), one.files.map((f) => f.name));
  assert.deepEqual(batched.files, one.files);
  assert.deepEqual(batched.files.map(sourceLocations), one.files.map(sourceLocations));
  return one;
}

const file = (rel: string, text: string): BufSource => ({ rel, text: `syntax = "proto3";\n${text}` });

test("files importing across batches, in folders, with options and well-known types come in one run's order", () => {
  const sources = [
    file("a.proto", 'package p;\nimport "z/last.proto";\nimport "google/protobuf/timestamp.proto";\n// A.\nmessage A { p.z.Z z = 1; google.protobuf.Timestamp at = 2; }\n'),
    file("a-b.proto", "package p.ab;\nmessage AB {}\n"),
    file("b.proto", 'package p.b;\nimport "mqgen/options.proto";\nimport "a.proto";\nservice B {\n  option (mqgen.module_type) = "bee";\n  rpc Go(p.A) returns (p.A) { option (mqgen.wire_name) = "/go"; }\n}\n'),
    file("c/ü.proto", 'package p.c;\nimport "b.proto";\nenum E { E_ZERO = 0; }\n'),
    file("z/last.proto", "package p.z;\nmessage Z { map<string, Z> kids = 1; }\n"),
    file("Upper.proto", "package up;\nmessage U {}\n"),
  ];
  const one = assertSameAsOneRun(sources);
  assert.deepEqual(one.errors, []);
  // What makes the batched result stand (rather than one run's): the order is rebuilt and nothing clashes.
  const byName = new Map(one.files.map((f) => [f.name, f]));
  assert.deepEqual(inRunOrder(byName, [sources.map((s) => s.rel), ["mqgen/options.proto"]]), one.files);
  assert.equal(hasCrossFileClash(one.files.map(declarationsOf)), false);
});

test("files of different batches that clash get one run's errors; what one run allows stays allowed", () => {
  const cases: [refused: boolean, sources: BufSource[]][] = [
    [true, [file("a.proto", "package p;\nmessage M {}\n"), file("z.proto", "package p;\nmessage M {}\n")]],
    [true, [file("a.proto", "package p;\nenum A { X = 0; }\n"), file("z.proto", "package p;\nenum B { X = 0; }\n")]],
    [true, [file("a.proto", "package p;\nservice S { rpc Do(M) returns (M); }\nmessage M {}\n"), file("z.proto", "package p;\nmessage S {}\n")]],
    [
      true,
      [
        { rel: "m.proto", text: 'syntax = "proto2";\npackage p;\nmessage M { extensions 100 to 200; }\n' },
        { rel: "x.proto", text: 'syntax = "proto2";\npackage p;\nimport "m.proto";\nextend M { optional int32 x = 150; }\n' },
        { rel: "y.proto", text: 'syntax = "proto2";\npackage q;\nimport "m.proto";\nextend p.M { optional int32 y = 150; }\n' },
      ],
    ],
    // mqgen/options.proto is a target of every batch, as of one run.
    [true, [file("a.proto", "package mqgen;\nmessage gate {}\n")]],
    // A message named like another file's package: buf allows it in one run, so batches must too.
    [false, [file("a.proto", "package p.q;\nmessage M {}\n"), file("z.proto", "package p;\nmessage q {}\n")]],
    [false, [file("a.proto", "message M {}\n"), file("z.proto", "package M;\nmessage N {}\n")]],
  ];
  for (const [refused, sources] of cases) {
    const one = assertSameAsOneRun(sources);
    assert.equal(one.errors.length > 0, refused, sources.map((s) => s.text).join("\n"));
  }
});

test("a file that does not compile, in a later batch, gets one run's errors", () => {
  const one = assertSameAsOneRun([
    file("a.proto", "package p;\nmessage A {}\n"),
    file("b.proto", "package p;\nmessage B { C c = 1; }\n"),
    file("c.proto", 'package p;\nimport "b.proto";\nmessage D { B b = 1; }\n'),
  ]);
  assert.ok(one.errors.length > 0);
});
