// Well-known types and a oneof written in YAML (test/fixtures/codegen/yaml-wkt): the YAML names
// `google.protobuf.Timestamp` and friends, mqgen imports their google/protobuf files for it, and the result
// is what a .proto importing them generates; the generated handler round-trips in process and over NATS.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Module, ModuleContext } from "mqgen/runtime";
import { generate } from "../../codegen/index.js";
import { readGenerated } from "../../codegen/cli/output.js";
import { Order, registerShop, ShopClient } from "../fixtures/codegen/yaml-wkt.golden/shop.js";
import type { ShopHandlers } from "../fixtures/codegen/yaml-wkt.golden/shop.js";
import { Duration } from "../fixtures/codegen/yaml-wkt.golden/google.protobuf.types.js";
import { NatsServer } from "../support/nats-server.js";
import { startPair } from "../support/apps.js";
import type { Mode } from "../support/apps.js";

const FIXTURE = "test/fixtures/codegen/yaml-wkt";

test("YAML well-known types generate the same google.protobuf types a .proto import does", () => {
  const result = generate({ schemaDir: FIXTURE });
  assert.deepEqual(result.diagnostics, []);
  for (const [path, text] of readGenerated(`${FIXTURE}.golden`)) assert.equal(result.files.get(path), text, path);
  const proto = 'syntax = "proto3";\npackage p;\nimport "google/protobuf/duration.proto";\nimport "google/protobuf/empty.proto";\nimport "google/protobuf/field_mask.proto";\nimport "google/protobuf/struct.proto";\nimport "google/protobuf/timestamp.proto";\nimport "google/protobuf/wrappers.proto";\nmessage M { google.protobuf.Duration d = 1; }\n';
  const fromProto = generate({ schemaDir: "schemas", sources: [{ path: "schemas/p.proto", text: proto }] });
  assert.deepEqual(fromProto.diagnostics, []);
  assert.equal(result.files.get("google.protobuf.types.ts"), fromProto.files.get("google.protobuf.types.ts"));
});

test("a YAML oneof is protobuf-es' union; its members must be single values and its name no field's", () => {
  const order = Order.create({ id: "o1", placed: { seconds: 1_700_000_000n, nanos: 0 }, meta: { gift: true }, mask: { paths: ["gift_wrap"] }, note: { value: "x" }, payment: { case: "voucher", value: 7n } });
  assert.deepEqual(Order.toJson(order), { id: "o1", placed: "2023-11-14T22:13:20Z", meta: { gift: true }, mask: "giftWrap", note: "x", voucher: "7" });
  assert.deepEqual(Order.decode(Order.encode(order)), order);
  const bad = "messages:\n  M:\n    fields:\n      pay: string\n      a: { type: 'string[]', oneof: pay }\n      b: { type: int32, oneof: 'no way' }\n      c: { type: int32, oneof: pay }\n";
  const result = generate({ schemaDir: "schemas", sources: [{ path: "schemas/m.yaml", text: bad }] });
  assert.deepEqual(result.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`), [
    "5:18: field 'a' of oneof 'pay' must be a single value, not 'string[]' (as in protobuf)",
    "6:32: oneof 'no way' of field 'b' must be an identifier",
    "7:7: oneof 'pay' of field 'c' has the name of a field of the same message",
  ]);
});

class Shop implements Module, ShopHandlers {
  readonly type = "shop";
  readonly version = "1.0.0";
  onInit(ctx: ModuleContext): void {
    registerShop(ctx.server, this);
  }
  place(order: Order): Duration {
    return Duration.create({ seconds: order.payment.case === "voucher" ? order.payment.value : 0n, nanos: Object.keys(order.meta ?? {}).length });
  }
}

let nats: NatsServer;
before(async () => {
  nats = await NatsServer.start();
});
after(async () => {
  await nats.dispose();
});

for (const mode of ["in-process", "nats"] as Mode[]) {
  test(`the YAML handler with well-known types round-trips (${mode})`, async () => {
    const pair = await startPair(mode, [new Shop()], { natsUrl: nats.url });
    try {
      const client = new ShopClient(pair.client);
      const took = await client.place(Order.create({ id: "o2", meta: { a: 1, b: [null] }, payment: { case: "voucher", value: 90n } }));
      assert.deepEqual(took, { seconds: 90n, nanos: 2 });
    } finally {
      await pair.stop();
    }
  });
}
