/**
 * The run-time contract check on its own: what nodes advertise, the verdict for one node, and how a typed
 * call's node choice is narrowed (compatible first, then nodes without hashes, mismatching ones only under
 * "warn") — with a real Selector over a MemoryRegistry.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Logger } from "pino";
import { MemoryRegistry, SchemaMismatchError, stringCodec } from "../../runtime/index.js";
import type { HandlerDescriptor, ModuleDescriptor, ServiceNode } from "../../runtime/index.js";
import {
  HANDLER_SCHEMAS_KEY,
  SCHEMA_KEY,
  SchemaGuard,
  checkNodeSchema,
  moduleSchemaMetadata,
  schemaCheckedOptions,
  schemaMetadata,
} from "../../runtime/internal.js";
import { Selector } from "../../runtime/internal.js";

function handler(method: string, wireName: string, hash: string): HandlerDescriptor {
  return { method, wireName, mode: "concurrent", gate: false, params: [{ name: "name", codec: stringCodec }], result: stringCodec, retrySafe: false, hash };
}

function build(version: string, schemaHash: string, sayHiHash: string): ModuleDescriptor {
  return {
    type: "greeter",
    version,
    schemaHash,
    handlers: { sayHi: handler("sayHi", "/say/hi", sayHiHash), ping: handler("ping", "/ping", "p1") },
    pushes: {},
  };
}

const V1 = build("1.0.0", "m1", "h1");
const V2 = build("2.0.0", "m2", "h2");
const sayHi1 = V1.handlers.sayHi as HandlerDescriptor;

function node(id: string, metadata: Record<string, string>): ServiceNode {
  return { id: `greeter@${id}`, address: `_INBOX.${id}`, port: 0, metadata: { version: "x", ...metadata } };
}

function captureLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: { warn: (msg: string) => void lines.push(msg) } as unknown as Logger, lines };
}

test("schemaMetadata: one sorted key for all handlers; odd wire names survive the round trip", () => {
  const metadata = schemaMetadata("m1", [
    ["/say/hi", "h1"],
    ["a,b=c%d", "h3"],
    ["/untyped", ""],
  ]);
  assert.deepEqual(metadata, { [SCHEMA_KEY]: "m1", [HANDLER_SCHEMAS_KEY]: "/say/hi=h1,a%2Cb%3Dc%25d=h3" });
  const odd = handler("odd", "a,b=c%d", "h3");
  assert.equal(checkNodeSchema(V1, odd, metadata).compatibility, "compatible");
  assert.deepEqual(moduleSchemaMetadata(V1), { schema: "m1", "schema.handlers": "/ping=p1,/say/hi=h1" });
});

test("checkNodeSchema: compatible, mismatch, absent handler, module-level only, unknown", () => {
  assert.deepEqual(checkNodeSchema(V1, sayHi1, moduleSchemaMetadata(V1)), { compatibility: "compatible" });
  assert.deepEqual(checkNodeSchema(V1, sayHi1, moduleSchemaMetadata(V2)), { compatibility: "mismatch", actualHash: "h2", expectedHash: "h1" });
  // Unchanged handlers of another build are compatible: only the handler's own hash counts.
  assert.equal(checkNodeSchema(V1, V1.handlers.ping as HandlerDescriptor, moduleSchemaMetadata(V2)).compatibility, "compatible");
  assert.deepEqual(checkNodeSchema(V1, sayHi1, { [SCHEMA_KEY]: "m2", [HANDLER_SCHEMAS_KEY]: "/ping=p1" }), {
    compatibility: "mismatch",
    actualHash: "absent",
    expectedHash: "h1",
  });
  assert.deepEqual(checkNodeSchema(V1, sayHi1, { [SCHEMA_KEY]: "m1" }), { compatibility: "compatible" });
  assert.deepEqual(checkNodeSchema(V1, sayHi1, { [SCHEMA_KEY]: "m9" }), { compatibility: "mismatch", actualHash: "m9", expectedHash: "m1" });
  assert.deepEqual(checkNodeSchema(V1, sayHi1, { hostname: "go-node", pid: "1" }), { compatibility: "unknown" });
  const handBuilt = { ...V1, schemaHash: "" };
  assert.deepEqual(checkNodeSchema(handBuilt, handler("sayHi", "/say/hi", ""), { [SCHEMA_KEY]: "m2" }), { compatibility: "unknown" });
});

test("SchemaGuard.select keeps the best tier and the caller's own filters", () => {
  const guard = new SchemaGuard({ policy: "reject" });
  const a1 = node("a1", moduleSchemaMetadata(V1));
  const b2 = node("b2", moduleSchemaMetadata(V2));
  const go = node("go", {});
  const all = [a1, b2, go];
  assert.equal(guard.select(V1, sayHi1, [a1], undefined), undefined, "all compatible: nothing to narrow");
  const narrowed = guard.select(V1, sayHi1, all, undefined);
  assert.deepEqual(all.filter((n) => narrowed?.filter?.(n) ?? true).map((n) => n.id), ["greeter@a1"]);
  const withoutCompatible = guard.select(V1, sayHi1, [b2, go], undefined);
  assert.deepEqual([b2, go].filter((n) => withoutCompatible?.filter?.(n) ?? true).map((n) => n.id), ["greeter@go"]);
  const own = guard.select(V1, sayHi1, all, { filter: (n) => n.id !== "greeter@a1" });
  assert.deepEqual(all.filter((n) => own?.filter?.(n) ?? true).map((n) => n.id), ["greeter@go"], "tiers are counted after the caller's filter");
  assert.throws(() => guard.select(V1, sayHi1, [b2], undefined), (err: unknown) => {
    assert.ok(err instanceof SchemaMismatchError);
    assert.equal(err.message, "schema mismatch calling greeter.sayHi (/say/hi): caller built from h1 (version 1.0.0), node greeter@b2 serves h2 (version x)");
    return true;
  });
});

test("isPreferred vets the fast path: compatible yes, mismatching no, no hashes only while nothing mismatches", () => {
  const guard = new SchemaGuard({ policy: "reject" });
  const a1 = node("a1", moduleSchemaMetadata(V1));
  const b2 = node("b2", moduleSchemaMetadata(V2));
  const go = node("go", {});
  assert.equal(guard.isPreferred(V1, sayHi1, a1, [a1, b2, go]), true);
  assert.equal(guard.isPreferred(V1, sayHi1, b2, [a1, b2]), false);
  assert.equal(guard.isPreferred(V1, sayHi1, go, [a1, go]), true, "Go and TypeScript nodes of one contract share the load");
  assert.equal(guard.isPreferred(V1, sayHi1, go, [a1, b2, go]), false, "with a mismatch around, compatible nodes come first");
  assert.equal(guard.isPreferred(V1, sayHi1, go, undefined), true);
  assert.equal(guard.select(V1, sayHi1, [a1, go], undefined), undefined, "nothing mismatches: no narrowing");
});

test('under "warn" a mismatch is logged once per handler and version, and the call goes ahead', () => {
  const { log, lines } = captureLog();
  const guard = new SchemaGuard({ policy: "warn", log });
  const b2 = node("b2", moduleSchemaMetadata(V2));
  assert.equal(guard.select(V1, sayHi1, [b2], undefined), undefined);
  assert.equal(guard.select(V1, sayHi1, [b2], undefined), undefined);
  guard.checkNode(V1, sayHi1, b2);
  assert.equal(lines.length, 1);
  assert.match(lines[0] as string, /schema mismatch calling greeter\.sayHi .* serves h2 .*; calling anyway \(schemaMismatch: warn\)/);
});

test("schemaCheckedOptions with a Selector over a registry: picks matching nodes, leaves addressed calls to checkNode", async () => {
  const registry = new MemoryRegistry();
  const selector = new Selector({ registry });
  try {
    for (const [id, descriptor] of [["a1", V1], ["b2", V2]] as const) {
      await registry.register(
        { name: "greeter", version: descriptor.version, metadata: null, nodes: [node(id, moduleSchemaMetadata(descriptor))] },
        { ttlMs: 60_000 },
      );
    }
    const guard = new SchemaGuard({ policy: "reject" });
    const sayHi2 = V2.handlers.sayHi as HandlerDescriptor;
    const ping = V1.handlers.ping as HandlerDescriptor;
    const picked = new Map<string, Set<string>>();
    for (let i = 0; i < 40; i++) {
      for (const [label, module, h] of [["v1 sayHi", V1, sayHi1], ["v2 sayHi", V2, sayHi2], ["ping", V1, ping]] as const) {
        const options = await schemaCheckedOptions(guard, selector, module, h, "greeter", undefined);
        const chosen = await selector.select("greeter", options?.select);
        picked.set(label, (picked.get(label) ?? new Set()).add(chosen.id));
      }
    }
    assert.deepEqual([...(picked.get("v1 sayHi") ?? [])], ["greeter@a1"]);
    assert.deepEqual([...(picked.get("v2 sayHi") ?? [])], ["greeter@b2"]);
    assert.deepEqual([...(picked.get("ping") ?? [])].sort(), ["greeter@a1", "greeter@b2"], "an unchanged handler uses every node");
    // Once cached, the all-compatible case is synchronous and hands the options back untouched.
    const own = { timeout: 5 };
    assert.equal(schemaCheckedOptions(guard, selector, V1, ping, "greeter", own), own);
    const addressed = { node: "b2" };
    assert.equal(schemaCheckedOptions(guard, selector, V1, sayHi1, "greeter", addressed), addressed);
    assert.throws(() => guard.checkNode(V1, sayHi1, node("b2", moduleSchemaMetadata(V2))), SchemaMismatchError);
  } finally {
    selector.close();
    await registry.close();
  }
});
