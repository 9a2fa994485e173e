/**
 * The ops CLI against a running split app: two OS processes (a typed `ledger`, an untyped `legacy` module
 * as a Go mqant node would serve) over a real nats-server with the NATS KV registry. `mqgen nodes` lists
 * them, `mqgen call` converts int64/bytes/message values with the schema and maps error kinds to exit
 * codes, `mqgen stats` reads `$SRV.STATS`.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { NatsServer, freePort } from "../support/nats-server.js";
import { runMqgen } from "../support/cli.js";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
let nats: NatsServer;
const children: ChildProcess[] = [];
const nodeIds: Record<string, string> = {};

async function startNode(role: string): Promise<void> {
  const child = spawn(process.execPath, ["--import", "tsx", `${fixtures}ops-node.ts`, role], {
    env: { ...process.env, NATS_URL: nats.url },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  const reader = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not start`)), 30_000);
    reader.on("line", (l) => {
      if (!l.startsWith("READY ")) return;
      clearTimeout(timer);
      resolve(l);
    });
    child.once("exit", (code) => reject(new Error(`${role} exited with ${code}`)));
  });
  for (const id of line.slice("READY ".length).split(" ")) nodeIds[id.split("@")[0] as string] = id;
}

function mqgen(...argv: string[]) {
  return runMqgen([...argv, "--nats", nats.url], fixtures);
}

before(async () => {
  nats = await NatsServer.start({ jetstream: true });
  await Promise.all([startNode("ledger"), startNode("legacy")]);
});

after(async () => {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null) return resolve();
          c.once("exit", () => resolve());
          c.kill("SIGTERM");
        }),
    ),
  );
  await nats?.dispose();
});

test("mqgen nodes: every node with type, id, version, address, schema hash, handlers and uptime", async () => {
  const json = await mqgen("nodes", "--json");
  assert.equal(json.code, 0, json.err);
  const rows = JSON.parse(json.out) as { module: string; id: string; version: string; address: string; schema: string | null; handlers: string[]; started: string | null; pid: string | null }[];
  const ledger = rows.find((r) => r.module === "ledger");
  const legacy = rows.find((r) => r.module === "legacy");
  assert.equal(ledger?.id, nodeIds.ledger);
  assert.equal(ledger?.version, "1.2.0");
  assert.equal(ledger?.schema, "abcdefabcdef0123");
  assert.deepEqual(ledger?.handlers, ["/explode", "/ledger/credit"]);
  assert.match(ledger?.address ?? "", /^_INBOX\./);
  assert.ok(Date.parse(ledger?.started ?? "") <= Date.now());
  assert.equal(legacy?.version, "0.9.0");
  assert.deepEqual(legacy?.handlers, ["/echo", "/slow"]);
  assert.notEqual(ledger?.pid, legacy?.pid, "two processes");

  const text = await mqgen("nodes");
  assert.equal(text.code, 0, text.err);
  const [header, ...lines] = text.out.trimEnd().split("\n");
  assert.match(header ?? "", /^MODULE\s+NODE\s+VERSION\s+UP\s+HOST\s+SCHEMA\s+ADDRESS\s+HANDLERS$/);
  assert.ok(lines.some((l) => l.startsWith("ledger ") && l.includes("/explode /ledger/credit") && l.includes("abcdefabcdef0123")));
});

test("mqgen call: int64 from strings and numbers, bytes from base64, a message reply as JSON", async () => {
  const first = await mqgen("call", "ledger.credit", '{"account":"acme","amount":"9007199254740993","memo":"AAEC/w=="}', "--schemas", "schemas");
  assert.equal(first.code, 0, first.err);
  assert.deepEqual(JSON.parse(first.out), { account: "acme", balance: "9007199254740993", memo: "AAEC/w==" });
  // Positional, a JSON number for the int64, to the node by its id.
  const hex = (nodeIds.ledger as string).split("@")[1] as string;
  const second = await mqgen("call", `ledger@${hex}.credit`, '["acme", 7, ""]', "--schemas", "schemas");
  assert.equal(second.code, 0, second.err);
  assert.equal((JSON.parse(second.out) as { balance: string }).balance, "9007199254741000");
  // The wire name works as well as the method name.
  const byWire = await mqgen("call", "ledger./ledger/credit", '["acme", "-1000", "AA=="]', "--schemas", "schemas");
  assert.equal(byWire.code, 0, byWire.err);
  assert.equal((JSON.parse(byWire.out) as { balance: string }).balance, "9007199254740000");
});

test("mqgen call: untyped handlers of a node without a schema, with mqant's tags", async () => {
  const echo = await mqgen("call", "legacy./echo", '["hello mqant"]', "--schemas", "schemas");
  assert.equal(echo.code, 0, echo.err);
  assert.equal(JSON.parse(echo.out), "hello mqant");
  const map = await mqgen("call", "legacy./echo", '[{"a":1,"b":"x"}]', "--untyped");
  assert.equal(map.code, 0, map.err);
  assert.deepEqual(JSON.parse(map.out), { a: 1, b: "x" });
});

test("mqgen call: exit codes by error kind", async () => {
  const remote = await mqgen("call", "ledger.explode", "--schemas", "schemas");
  assert.equal(remote.code, 3, remote.err);
  assert.match(remote.err, /ledger exploded/);
  const missing = await mqgen("call", "nosuch.thing", "[]", "--untyped");
  assert.equal(missing.code, 4, missing.err);
  const unknownHandler = await mqgen("call", "legacy./nope", "[]", "--untyped");
  assert.equal(unknownHandler.code, 4, unknownHandler.err);
  const late = await mqgen("call", "legacy./slow", "[3000]", "--untyped", "--timeout", "300ms");
  assert.equal(late.code, 5, late.err);
  assert.match(late.err, /deadline exceeded/);
  const badInt = await mqgen("call", "ledger.credit", '["acme", "12x", ""]', "--schemas", "schemas");
  assert.equal(badInt.code, 1);
  assert.match(badInt.err, /amount: expected an integer/);
  const badBytes = await mqgen("call", "ledger.credit", '["acme", 1, "not base64!"]', "--schemas", "schemas");
  assert.equal(badBytes.code, 1);
  assert.match(badBytes.err, /memo/);
  const port = await freePort();
  const unreachable = await runMqgen(["call", "legacy./echo", '["x"]', "--untyped", "--nats", `nats://127.0.0.1:${port}`], fixtures);
  assert.equal(unreachable.code, 7, unreachable.err);
});

test("mqgen stats: calls, errors and latency per handler from $SRV.STATS; --watch refreshes", async () => {
  for (let i = 0; i < 4; i++) assert.equal((await mqgen("call", "legacy./echo", `["n${i}"]`, "--untyped")).code, 0);
  const once = await mqgen("stats", "--json");
  assert.equal(once.code, 0, once.err);
  const doc = JSON.parse(once.out) as { handlers: { module: string; handler: string; requests: number; errors: number; averageMs: number }[] };
  const credit = doc.handlers.find((h) => h.module === "ledger" && h.handler === "/ledger/credit");
  assert.equal(credit?.requests, 3);
  assert.equal(credit?.errors, 0);
  const explode = doc.handlers.find((h) => h.handler === "/explode");
  assert.equal(explode?.errors, 1);
  assert.ok((doc.handlers.find((h) => h.handler === "/echo")?.requests ?? 0) >= 6);

  const watched = await mqgen("stats", "legacy", "--watch", "--count", "2", "--interval", "300ms", "--json");
  assert.equal(watched.code, 0, watched.err);
  const frames = watched.out.trimEnd().split("\n").map((l) => JSON.parse(l) as { handlers: { module: string; perSecond: number | null }[] });
  assert.equal(frames.length, 2);
  assert.ok(frames.every((f) => f.handlers.every((h) => h.module === "legacy")));
  assert.equal(frames[0]?.handlers[0]?.perSecond, null);
  assert.equal(typeof frames[1]?.handlers[0]?.perSecond, "number");

  const table = await mqgen("stats");
  assert.match(table.out, /^MODULE\s+NODE\s+HANDLER\s+CALLS\s+ERRORS\s+ERR%\s+AVG MS$/m);
});
