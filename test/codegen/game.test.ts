// A corpus a real team would write (test/fixtures/codegen/game): dotted packages across files, nested types
// used from another file, Timestamp/Duration/Empty and a wrapper, oneofs, enum aliases, keyword-named rpcs
// and fields, comments and deprecations, Struct/Value/ListValue/FieldMask/Any. It generates (golden), and every
// handler round-trips through the generated client and `register…`, in process and over NATS; WKTs take their
// canonical JSON.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { CallContext, Module, ModuleContext } from "mqgen/runtime";
import { generate } from "../../codegen/index.js";
import { readGenerated } from "../../codegen/cli/output.js";
import { JoinRequest, match, MatchClient, MatchResult, ProfilePatch, Queue, registerMatch, Ticket } from "../fixtures/codegen/game.golden/match.js";
import { Any, Duration, FieldMask, ListValue, Value } from "../fixtures/codegen/game.golden/google.protobuf.types.js";
import type { Struct } from "../fixtures/codegen/game.golden/google.protobuf.types.js";
import type { MatchHandlers } from "../fixtures/codegen/game.golden/match.js";
import { Player, Region } from "../fixtures/codegen/game.golden/game.common.v1.types.js";
import { NatsServer } from "../support/nats-server.js";
import { startPair } from "../support/apps.js";
import type { Mode } from "../support/apps.js";

const FIXTURE = "test/fixtures/codegen/game";

test("the game corpus generates without diagnostics and matches its golden files", () => {
  const result = generate({ schemaDir: FIXTURE });
  assert.deepEqual(result.diagnostics, []);
  const golden = readGenerated(`${FIXTURE}.golden`);
  assert.deepEqual([...result.files.keys()], [...golden.keys()]);
  for (const [path, text] of golden) assert.equal(result.files.get(path), text, path);
  const types = golden.get("game.match.v1.types.ts") ?? "";
  assert.match(golden.get("game.common.v1.types.ts") ?? "", / {3}\* Replaced by `name`\.\n {3}\* @deprecated\n {3}\*\/\n {2}nick: string;/);
  assert.match(golden.get("match.ts") ?? "", /@deprecated\n {3}\*\/\n {2}end\(request: MatchResult/);
  assert.match(types, /origin:\n {4}\| \{ case: "lobby"; value: string \}/);
  assert.equal(match.version, "2.3.0");
  assert.equal(match.handlers.end.timeoutMs, 2500);
  assert.equal(Region.EU, Region.EUROPE);
});

test("well-known types take their canonical JSON inside messages; oneofs carry one member", () => {
  const request = JoinRequest.create({
    player: Player.create({ id: "p1", joined: { seconds: 1_700_000_000n, nanos: 5_000_000 }, region: Region.EUROPE }),
    max_wait: { seconds: -1n, nanos: -500_000_000 },
    min_tier: { value: 3 },
    origin: { case: "party", value: 42n },
  });
  const json = JoinRequest.toJson(request);
  assert.deepEqual(json, {
    player: { id: "p1", region: "EU", joined: "2023-11-14T22:13:20.005Z" },
    max_wait: "-1.500s",
    min_tier: 3,
    party: "42",
  });
  assert.deepEqual(JoinRequest.fromJson(JSON.parse(JSON.stringify(json))), request);
  assert.deepEqual(JoinRequest.fromJson({ player: { joined: "2023-11-14T23:13:20.123456+01:00" } }).player?.joined, { seconds: 1_700_000_000n, nanos: 123_456_000 });
  assert.throws(() => JoinRequest.fromJson({ max_wait: "soon" }), /max_wait: expected a duration string/);
  assert.deepEqual(MatchResult.toJson(MatchResult.create({ outcome: { case: "draw", value: {} } })), { draw: {} });
  assert.deepEqual(JoinRequest.decode(JoinRequest.encode(request)), request);
});

const PATCH = ProfilePatch.create({
  player_id: "p1",
  update_mask: FieldMask.create({ paths: ["attributes", "badge", "display_name"] }),
  attributes: { level: 7, title: "Grand ✦ Master", flags: [true, null], inventory: { sword: { damage: 2.5 } } },
  badge: Value.create({ kind: { case: "string_value", value: "gold" } }),
  extensions: [
    Any.create({ type_url: "type.googleapis.com/game.match.v1.Ticket", value: Ticket.encode(Ticket.create({ id: "t9", new$: true })) }),
    Any.create({ type_url: "type.googleapis.com/google.protobuf.Duration", value: Duration.encode(Duration.create({ seconds: 90n })) }),
  ],
  history: ListValue.create({ values: [Value.create({ kind: { case: "number_value", value: -0.5 } }), Value.create({ kind: { case: "null_value", value: 0 } })] }),
});

test("Struct, Value, ListValue, FieldMask and Any take protobuf's JSON; Struct is a plain object in TypeScript", () => {
  const json = ProfilePatch.toJson(PATCH);
  assert.deepEqual(json, {
    player_id: "p1",
    update_mask: "attributes,badge,displayName",
    attributes: { level: 7, title: "Grand ✦ Master", flags: [true, null], inventory: { sword: { damage: 2.5 } } },
    badge: "gold",
    extensions: [
      { id: "t9", new: true, "@type": "type.googleapis.com/game.match.v1.Ticket" },
      { value: "90s", "@type": "type.googleapis.com/google.protobuf.Duration" },
    ],
    history: [-0.5, null],
  });
  assert.deepEqual(ProfilePatch.fromJson(JSON.parse(JSON.stringify(json))), PATCH);
  assert.deepEqual(ProfilePatch.decode(ProfilePatch.encode(PATCH)), PATCH);
  const unknownAny = ProfilePatch.create({ extensions: [Any.create({ type_url: "type.googleapis.com/other.team.Secret" })] });
  assert.throws(() => ProfilePatch.toJson(unknownAny), /"type.googleapis.com\/other.team.Secret", a message no generated types loaded in this process define/);
});

class Matchmaker implements Module, MatchHandlers {
  readonly type = "match";
  readonly version = "2.3.0";
  readonly tickets = new Map<string, Ticket>();
  onInit(ctx: ModuleContext): void {
    registerMatch(ctx.server, this);
  }
  join(request: JoinRequest): Ticket {
    const origin = request.origin.case === "party" ? `party-${request.origin.value}` : request.origin.case ?? "none";
    const ticket = Ticket.create({ id: `${request.player?.id ?? "?"}:${origin}`, created: { seconds: 1n, nanos: 2 }, new$: true, class: "gold", delete: request.min_tier?.value ?? -1 });
    this.tickets.set(ticket.id, ticket);
    return ticket;
  }
  delete(request: Ticket): void {
    this.tickets.delete(request.id);
  }
  list(): Queue {
    return Queue.create({ tickets: [...this.tickets.values()], by_id: { p1: Player.create({ id: "p1", rank: { tier: 2, delta: -7, points: 18_446_744_073_709_551_615n } }) } });
  }
  end(request: MatchResult, ctx: CallContext): MatchResult {
    return { ...request, match_id: `${request.match_id}@${ctx.handler}` };
  }
  patch(request: ProfilePatch): ProfilePatch {
    return { ...request, attributes: { ...request.attributes, patched: request.update_mask?.paths.length ?? 0 } };
  }
  report(request: Struct): ListValue {
    return ListValue.create({ values: Object.keys(request).sort().map((key) => Value.create({ kind: { case: "string_value", value: key } })) });
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
  test(`every game handler round-trips through the generated client and register… (${mode})`, async () => {
    const impl = new Matchmaker();
    const pair = await startPair(mode, [impl], { natsUrl: nats.url });
    try {
      const client = new MatchClient(pair.client);
      const ranked = await client.join(JoinRequest.create({ player: Player.create({ id: "p1" }), origin: { case: "ranked", value: { tier: 1, delta: -1, points: 9n } }, min_tier: { value: 0 } }));
      assert.deepEqual(ranked, Ticket.create({ id: "p1:ranked", created: { seconds: 1n, nanos: 2 }, new$: true, class: "gold", delete: 0 }));
      const party = await client.join(JoinRequest.create({ player: Player.create({ id: "p2" }), origin: { case: "party", value: -5n } }));
      assert.equal(party.id, "p2:party--5");
      assert.equal(party.delete, -1);
      const queue = await client.list();
      assert.deepEqual(queue.tickets.map((t) => t.id), ["p1:ranked", "p2:party--5"]);
      assert.deepEqual(queue.by_id["p1"]?.rank, { tier: 2, delta: -7, points: 18_446_744_073_709_551_615n });
      assert.equal(await client.delete(ranked), undefined);
      assert.deepEqual([...impl.tickets.keys()], ["p2:party--5"]);
      const result = MatchResult.create({ match_id: "m1", scores: { p2: 3, p3: -1 }, length: { seconds: 600n, nanos: 0 }, outcome: { case: "winner", value: "p2" } });
      assert.deepEqual(await client.end(result), { ...result, match_id: "m1@/End" });
      const draw = MatchResult.create({ match_id: "m2", outcome: { case: "draw", value: {} } });
      assert.deepEqual((await client.end(draw)).outcome, { case: "draw", value: {} });
      assert.deepEqual(await client.patch(PATCH), { ...PATCH, attributes: { ...PATCH.attributes, patched: 3 } });
      const reported = await client.report(JSON.parse('{"fps": 59.9, "gpu": "x", "": null, "__proto__": {"nested": []}}') as Struct);
      assert.deepEqual(reported.values.map((v) => v.kind), ["", "__proto__", "fps", "gpu"].map((value) => ({ case: "string_value", value })));
    } finally {
      await pair.stop();
    }
  });
}
