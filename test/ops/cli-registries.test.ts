/**
 * `mqgen nodes --registry etcd|consul`: the same split app as cli.test.ts (two OS processes over a real
 * nats-server), but registered in a real etcd, and then in the Consul test double (no Consul agent can be
 * installed here, so the consul path is shown wired end to end against the double only — its request
 * shapes, not a real agent's answers). The listing must be what the NATS KV one is: ids, versions, schema
 * hash and handlers from the registry and `$SRV`.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { NatsServer } from "../support/nats-server.js";
import { EtcdServer } from "../support/etcd-server.js";
import { ConsulDouble } from "../support/consul-double.js";
import { runMqgen } from "../support/cli.js";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
let nats: NatsServer;
let etcd: EtcdServer;
let consul: ConsulDouble;
const children: ChildProcess[] = [];

interface Row {
  module: string;
  id: string;
  version: string;
  address: string;
  schema: string | null;
  handlers: string[];
  started: string | null;
  pid: string | null;
}

/** Starts one fixture process registering in the registry `env` names; resolves with its node ids by type. */
async function startNode(role: string, env: Record<string, string>): Promise<Record<string, string>> {
  const child = spawn(process.execPath, ["--import", "tsx", `${fixtures}ops-node.ts`, role], {
    env: { ...process.env, NATS_URL: nats.url, ...env },
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
  const ids: Record<string, string> = {};
  for (const id of line.slice("READY ".length).split(" ")) ids[id.split("@")[0] as string] = id;
  return ids;
}

async function stopChildren(): Promise<void> {
  await Promise.all(
    children.splice(0).map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null) return resolve();
          c.once("exit", () => resolve());
          c.kill("SIGTERM");
        }),
    ),
  );
}

/** Both roles registered in one registry, then `mqgen nodes --json` and the table with `registryFlags`. */
async function listedNodes(env: Record<string, string>, registryFlags: string[]): Promise<{ ids: Record<string, string>; rows: Row[]; table: string }> {
  const [ledger, legacy] = await Promise.all([startNode("ledger", env), startNode("legacy", env)]);
  const ids = { ...ledger, ...legacy };
  // READY is printed once the apps started; on a loaded machine their registrations and $SRV subscriptions
  // may reach etcd/Consul and nats-server a moment later, so look until both nodes answer (at most 20 s).
  let rows: Row[] = [];
  for (const until = Date.now() + 20_000; ; ) {
    const json = await runMqgen(["nodes", "--json", "--nats", nats.url, ...registryFlags], fixtures);
    assert.equal(json.code, 0, json.err);
    rows = JSON.parse(json.out) as Row[];
    const ours = rows.filter((r) => r.id === ids["ledger"] || r.id === ids["legacy"]);
    if ((ours.length === 2 && ours.every((r) => r.started !== null)) || Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const table = await runMqgen(["nodes", "--nats", nats.url, ...registryFlags], fixtures);
  assert.equal(table.code, 0, table.err);
  return { ids, rows, table: table.out };
}

function assertListing(ids: Record<string, string>, rows: readonly Row[], table: string): void {
  const ledger = rows.find((r) => r.module === "ledger");
  const legacy = rows.find((r) => r.module === "legacy");
  assert.equal(ledger?.id, ids["ledger"]);
  assert.equal(legacy?.id, ids["legacy"]);
  assert.equal(ledger?.version, "1.2.0");
  assert.equal(legacy?.version, "0.9.0");
  assert.equal(ledger?.schema, "abcdefabcdef0123");
  assert.deepEqual(ledger?.handlers, ["/explode", "/ledger/credit"]);
  assert.deepEqual(legacy?.handlers, ["/echo", "/slow"]);
  assert.match(ledger?.address ?? "", /^_INBOX\./);
  assert.ok(Date.parse(ledger?.started ?? "") <= Date.now(), `started from $SRV.STATS: ${JSON.stringify(rows)}`);
  assert.notEqual(ledger?.pid, legacy?.pid, "two processes");
  assert.ok(table.split("\n").some((l) => l.startsWith("ledger ") && l.includes("/explode /ledger/credit") && l.includes("abcdefabcdef0123")), table);
}

before(async () => {
  [nats, etcd, consul] = await Promise.all([NatsServer.start(), EtcdServer.start(), ConsulDouble.start()]);
});

after(async () => {
  await stopChildren();
  await Promise.all([nats?.dispose(), etcd?.dispose(), consul?.stop()]);
});

test("mqgen nodes --registry etcd: the nodes registered in a real etcd, with schema hash, handlers and uptime", async () => {
  try {
    const { ids, rows, table } = await listedNodes({ MQGEN_TEST_ETCD: etcd.endpoint }, ["--registry", "etcd", "--etcd", etcd.endpoint]);
    assertListing(ids, rows, table);
    // The NATS KV default sees none of them: the listing came from etcd.
    const kv = await runMqgen(["nodes", "--json", "--nats", nats.url], fixtures);
    assert.equal(kv.code, 7, `no JetStream here, so the NATS KV registry cannot be read: ${kv.err}`);
  } finally {
    await stopChildren();
  }
});

test("mqgen nodes --registry etcd: an unreachable etcd is exit code 7, not a hang", async () => {
  const started = Date.now();
  const down = await runMqgen(["nodes", "--nats", nats.url, "--registry", "etcd", "--etcd", "127.0.0.1:1"], fixtures);
  assert.equal(down.code, 7, down.err);
  assert.ok(Date.now() - started < 15_000);
});

test("mqgen nodes --registry consul: wired end to end, shown against the Consul test double", async () => {
  try {
    const { ids, rows, table } = await listedNodes({ MQGEN_TEST_CONSUL: consul.address }, ["--registry", "consul", "--consul", consul.address]);
    assertListing(ids, rows, table);
    assert.ok(consul.requests.some((r) => r.method === "GET" && r.path.startsWith("/v1/health/service/ledger")), "the CLI asked the agent for the ledger nodes");
  } finally {
    await stopChildren();
  }
});
