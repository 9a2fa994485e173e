/**
 * Events in the schema: YAML `events:` and `.proto` `(mqgen.event)` into one model, every mistake reported
 * at its `file:line:col`, and `mqgen breaking` treating events like handlers (removed, retyped, re-delivered
 * or moved events break; an added one does not), through the lock file too.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadModel } from "../../codegen/index.js";
import { formatDiagnostic } from "../../codegen/model.js";
import { checkBreaking, formatViolation, lockText } from "../../codegen/breaking/index.js";

const SHOP = `module: shop
messages:
  Item:
    fields:
      name: string
  ShopEvents:
    fields:
      n: int32
events:
  sold:
    type: Item
    delivery: sometimes
  Sold: Item
  gone: Missing
  counted: int32
  spaced:
    type: Item
    subject: "shop. spaced"
  wild:
    type: Item
    subject: shop.*
  taken:
    type: Item
    subject: other.events
  listed: Item[]
  odd:
    type: Item
    colour: red
`;
const OTHER = `module: other
messages:
  Note:
    fields:
      text: string
events:
  noted:
    type: Note
    subject: other.events
`;
const TYPES_ONLY = `package: common
messages:
  Ack:
    fields:
      ok: bool
events:
  acked: Ack
`;

test("YAML events: every mistake at its position, all in one run", () => {
  const result = loadModel({
    schemaDir: "s",
    sources: [
      { path: "s/shop.yaml", text: SHOP },
      { path: "s/other.yaml", text: OTHER },
      { path: "s/common.yaml", text: TYPES_ONLY },
    ],
  });
  assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
    "s/common.yaml:6:1: events need a module: add `module: <type>` to this file",
    "s/shop.yaml:6:3: 'ShopEvents' clashes with a name generated for module 'shop'; rename the type",
    "s/shop.yaml:12:15: delivery of event 'sold' must be broadcast or balanced, not 'sometimes'",
    "s/shop.yaml:13:3: events 'sold' (at s/shop.yaml:10:3) and 'Sold' of module 'shop' both become emitSold/onSold; rename one",
    "s/shop.yaml:14:3: unknown type 'Missing'",
    "s/shop.yaml:15:3: event 'counted' must carry a message",
    "s/shop.yaml:16:3: subject 'shop. spaced' of event 'spaced' is not a NATS subject: 1..1024 characters, dot-separated non-empty tokens, no spaces, control characters or wildcards (* >)",
    "s/shop.yaml:19:3: subject 'shop.*' of event 'wild' is not a NATS subject: 1..1024 characters, dot-separated non-empty tokens, no spaces, control characters or wildcards (* >)",
    "s/shop.yaml:22:3: event 'taken' of module 'shop' uses subject 'other.events' of event 'noted' of module 'other' (at s/other.yaml:7:3)",
    "s/shop.yaml:25:11: event 'listed' must carry one message, not 'Item[]'",
    "s/shop.yaml:28:5: unknown key 'colour' in event 'odd' (expected one of: type, delivery, subject, doc)",
  ]);
});

test("YAML events: short and long forms, default delivery and subject", () => {
  const result = loadModel({
    schemaDir: "s",
    sources: [{ path: "s/m.yaml", text: "module: m\nmessages:\n  A:\n    fields:\n      x: int32\nevents:\n  happened: A\n  shared:\n    type: A\n    delivery: balanced\n    subject: m.shared\n    doc: Once per module type.\n" }],
  });
  assert.deepEqual(result.diagnostics, []);
  const events = result.model.modules[0]!.events.map((e) => ({ name: e.name, delivery: e.delivery, subject: e.subject, doc: e.doc, type: e.type.kind === "ref" ? e.type.resolved?.fullName : "" }));
  assert.deepEqual(events, [
    { name: "happened", delivery: "broadcast", subject: "mqgen.event.m.happened", doc: "", type: "m.A" },
    { name: "shared", delivery: "balanced", subject: "m.shared", doc: "Once per module type.", type: "m.A" },
  ]);
});

test(".proto events: (mqgen.event) on a message, (mqgen.event_subject), and a wrong delivery at the option", () => {
  const dir = mkdtempSync(join(tmpdir(), "mqgen-events-proto-"));
  try {
    const proto = [
      'syntax = "proto3";',
      "package store;",
      'import "mqgen/options.proto";',
      "service Store {",
      '  option (mqgen.module_type) = "store";',
      "}",
      "// A change, to every subscriber.",
      "message ItemChanged {",
      '  option (mqgen.event) = "broadcast";',
      "  string name = 1;",
      "}",
      "message Restock {",
      '  option (mqgen.event) = "balanced";',
      '  option (mqgen.event_subject) = "store.restock";',
      "  int32 qty = 1;",
      "}",
      "message Broken {",
      '  option (mqgen.event) = "sometimes";',
      "  int32 qty = 1;",
      "}",
      "",
    ].join("\n");
    writeFileSync(join(dir, "store.proto"), proto);
    const bad = loadModel({ schemaDir: dir });
    assert.deepEqual(bad.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`), ["18:3: event 'broken' must have delivery broadcast or balanced, not 'sometimes'"]);
    writeFileSync(join(dir, "store.proto"), proto.replace('"sometimes"', '"balanced"'));
    const good = loadModel({ schemaDir: dir });
    assert.deepEqual(good.diagnostics, []);
    assert.deepEqual(
      good.model.modules[0]!.events.map((e) => `${e.name} ${e.delivery} ${e.subject} ${JSON.stringify(e.doc)}`),
      ["broken balanced mqgen.event.store.broken \"\"", 'itemChanged broadcast mqgen.event.store.itemChanged "A change, to every subscriber."', 'restock balanced store.restock ""'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("mqgen breaking: removed, retyped, re-delivered, moved and renamed events; an added one passes; the lock keeps them", () => {
  const dir = mkdtempSync(join(tmpdir(), "mqgen-events-breaking-"));
  const schema = (events: string): string => `module: market\nmessages:\n  Price:\n    fields:\n      cents: int64\n  Trade:\n    fields:\n      qty: int32\nevents:\n${events}`;
  const old = "  priced: Price\n  traded:\n    type: Trade\n    delivery: balanced\n";
  try {
    const check = (events: string): string[] => {
      writeFileSync(join(dir, "new", "market.yaml"), schema(events));
      return checkBreaking({ schemaDir: "new", against: "old", cwd: dir }).violations.map((v) => formatViolation(v, "text"));
    };
    for (const side of ["old", "new"]) mkdirSync(join(dir, side));
    writeFileSync(join(dir, "old", "market.yaml"), schema(old));
    assert.deepEqual(check(`${old}  booked: Trade\n`), [], "an added event is not breaking");
    assert.deepEqual(check("  priced: Price\n"), ["new/market.yaml:1:9: EVENT_NO_DELETE event 'traded' (subject 'mqgen.event.market.traded') was removed from module 'market'"]);
    assert.deepEqual(check("  priced: Trade\n  traded:\n    type: Trade\n    delivery: balanced\n"), ["new/market.yaml:10:3: EVENT_SAME_TYPE event 'priced' of module 'market' changed type from market.Price to market.Trade"]);
    assert.deepEqual(check("  priced: Price\n  traded: Trade\n"), ["new/market.yaml:11:3: EVENT_SAME_DELIVERY event 'traded' of module 'market' changed delivery from balanced to broadcast"]);
    assert.deepEqual(check("  priced:\n    type: Price\n    subject: market.prices\n  traded:\n    type: Trade\n    delivery: balanced\n"), ["new/market.yaml:10:3: EVENT_SAME_SUBJECT event 'priced' of module 'market' moved from subject 'mqgen.event.market.priced' to 'market.prices'"]);
    assert.deepEqual(check("  quoted:\n    type: Price\n    subject: mqgen.event.market.priced\n  traded:\n    type: Trade\n    delivery: balanced\n"), ["new/market.yaml:10:3: EVENT_SAME_NAME event on subject 'mqgen.event.market.priced' of module 'market' was renamed from 'priced' to 'quoted'"]);
    // The lock records the events, and comparing against it finds what comparing against the folder finds.
    const lock = lockText(join(dir, "old"));
    assert.deepEqual(JSON.parse(lock).modules.market.events, {
      priced: { type: "market.Price", delivery: "broadcast", subject: "mqgen.event.market.priced" },
      traded: { type: "market.Trade", delivery: "balanced", subject: "mqgen.event.market.traded" },
    });
    writeFileSync(join(dir, "mqgen.lock.json"), lock);
    writeFileSync(join(dir, "new", "market.yaml"), schema("  priced: Price\n  traded: Trade\n"));
    assert.deepEqual(checkBreaking({ schemaDir: "new", against: "mqgen.lock.json", cwd: dir }).violations.map((v) => v.rule), ["EVENT_SAME_DELIVERY"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
