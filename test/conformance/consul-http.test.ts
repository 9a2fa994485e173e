/**
 * Consul request conformance: mqgen's Consul registry must send the requests Go mqant (consul/api v1.20)
 * sent — same method, path, query and decoded body — as captured in the vectors (consul-http.jsonl).
 *
 * NOT verification against a real Consul: the registry talks to a test double of Consul's documented HTTP
 * API (test/support/consul-double.ts) that records the requests. Tags are compared decoded, because Go's
 * zlib output differs byte-wise from Node's while inflating to the same text.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { RegistryError } from "../../runtime/internal.js";
import { ConsulRegistry } from "../../runtime/internal.js";
import { decodeMetadataTags, decodeVersionTag } from "../../runtime/internal.js";
import type { Service } from "../../runtime/internal.js";
import { ConsulDouble, type RecordedRequest } from "../support/consul-double.js";
import { freePort } from "../support/nats-server.js";

interface CapturedRequest {
  readonly seq: number;
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly body: string;
  readonly body_json?: Record<string, unknown>;
  readonly tags_decoded?: ReadonlyArray<{ readonly prefix: string; readonly decoded: string }>;
  readonly phase: string;
}

const captured: CapturedRequest[] = readFileSync(new URL("../fixtures/mqant-vectors/consul-http.jsonl", import.meta.url), "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line) as CapturedRequest);

/** The node helloworld of the captured run: its ID, address, and the two records it registered. */
const helloworldId = (captured.find((r) => r.phase === "register-initial" && r.body_json?.Name === "helloworld")!.body_json!.ID) as string;
const capturedFor = (phase: string, match: (r: CapturedRequest) => boolean = () => true): CapturedRequest => {
  const found = captured.find((r) => r.phase === phase && match(r));
  assert.ok(found, `captured request for phase ${phase}`);
  return found;
};
const isHelloworldRegister = (r: CapturedRequest) => r.body_json?.ID === helloworldId;
const isHelloworldPath = (r: CapturedRequest) => r.path.includes(helloworldId) || r.path.endsWith("/helloworld");

/** Rebuilds the Service mqant registered from a captured register body, decoding its tags. */
function serviceFromCapture(request: CapturedRequest): Service {
  const body = request.body_json!;
  const tags = body.Tags as string[];
  return {
    name: body.Name as string,
    version: decodeVersionTag(tags)!,
    metadata: null,
    nodes: [{ id: body.ID as string, address: body.Address as string, port: 0, metadata: decodeMetadataTags(tags) }],
  };
}

/** A register body with its tags replaced by their decoded texts, sorted (Go's tag order is random). */
function decodedBody(text: string): Record<string, unknown> {
  const body = JSON.parse(text) as Record<string, unknown>;
  const tags = (body.Tags as string[]).map((tag) => {
    const prefix = tag.slice(0, 2);
    if (prefix === "v-") return `v-${decodeVersionTag([tag])}`;
    return `t-${JSON.stringify(decodeMetadataTags([tag]))}`;
  });
  return { ...body, Tags: tags.sort() };
}

function capturedDecodedBody(request: CapturedRequest): Record<string, unknown> {
  const tags = request.tags_decoded!.map((t) => `${t.prefix}${t.prefix === "t-" ? JSON.stringify(JSON.parse(t.decoded)) : t.decoded}`);
  return { ...request.body_json!, Tags: tags.sort() };
}

function assertSameRequest(ours: RecordedRequest | undefined, theirs: CapturedRequest, what: string): void {
  assert.ok(ours, `${what}: mqgen sent no request`);
  assert.equal(ours.method, theirs.method, `${what}: method`);
  assert.equal(ours.path, theirs.path, `${what}: path`);
  assert.deepEqual(ours.query, theirs.query, `${what}: query`);
  if (theirs.body_json !== undefined) {
    assert.deepEqual(decodedBody(ours.body), capturedDecodedBody(theirs), `${what}: decoded body`);
  } else {
    assert.equal(ours.body, theirs.body, `${what}: body`);
  }
}

describe("Consul requests match Go mqant's captured requests (against a Consul HTTP test double, NOT a real Consul)", () => {
  let double: ConsulDouble;
  let registry: ConsulRegistry;

  before(async () => {
    double = await ConsulDouble.start({ maxBlockMs: 1000 });
    registry = new ConsulRegistry({ address: double.address, requestTimeoutMs: 2000, watchRetryMs: 100 });
  });
  after(async () => {
    await registry.close();
    await double.stop();
  });

  it("register at start: full register + TTL pass, twice (before and after hostname/pid are known), as mqant", async () => {
    const initial = capturedFor("register-initial", isHelloworldRegister);
    const started = capturedFor("register-start", isHelloworldRegister);
    const pass = capturedFor("ttl-pass-after-register", isHelloworldPath);
    const from = double.requests.length;
    await registry.register(serviceFromCapture(initial), { ttlMs: 20_000 });
    await registry.register(serviceFromCapture(started), { ttlMs: 20_000 });
    const sent = double.requests.slice(from);
    assert.equal(sent.length, 4, "register, pass, register, pass");
    assertSameRequest(sent[0], initial, "initial register");
    assertSameRequest(sent[1], pass, "pass after initial register");
    assertSameRequest(sent[2], started, "register with hostname/pid");
    assertSameRequest(sent[3], pass, "pass after second register");
    // Byte-level facts of the body that a decoded comparison could hide.
    const body = JSON.parse(sent[2]!.body) as Record<string, unknown>;
    assert.equal(body.Checks, null);
    assert.ok(!("Port" in body) && !("Meta" in body), "Port 0 and Meta are omitted as consul/api omits them");
  });

  it("periodic renewal of an unchanged service sends only the TTL pass", async () => {
    const started = capturedFor("register-start", isHelloworldRegister);
    const periodic = capturedFor("ttl-pass-periodic", isHelloworldPath);
    const from = double.requests.length;
    await registry.register(serviceFromCapture(started), { ttlMs: 20_000 });
    const sent = double.requests.slice(from);
    assert.equal(sent.length, 1);
    assertSameRequest(sent[0], periodic, "periodic pass");
  });

  it("getService queries /v1/health/service/<name> without parameters and decodes the node", async () => {
    const discovery = capturedFor("discovery", (r) => r.path === "/v1/health/service/helloworld");
    const from = double.requests.length;
    const services = await registry.getService("helloworld");
    assertSameRequest(double.requests[from], discovery, "discovery");
    const expected = serviceFromCapture(capturedFor("register-start", isHelloworldRegister));
    assert.equal(services.length, 1);
    assert.equal(services[0]!.version, "1.0.0");
    assert.deepEqual(services[0]!.nodes, expected.nodes);
  });

  it("watch: catalog services then the service, first without index, then blocking with index and no wait", async () => {
    const servicesInitial = capturedFor("watch-services-initial");
    const serviceInitial = capturedFor("discovery", (r) => r.path === "/v1/health/service/helloworld");
    const servicesBlocking = capturedFor("watch-services");
    const serviceBlocking = capturedFor("watch-service", (r) => r.path === "/v1/health/service/helloworld");
    const from = double.requests.length;
    const watcher = registry.watch({ service: "helloworld" });
    const first = await watcher[Symbol.asyncIterator]().next();
    assert.equal(first.done, false);
    assert.equal(first.value.action, "create");
    assert.equal(first.value.service.nodes[0]!.id, helloworldId);
    // Let both blocking queries start.
    const deadline = Date.now() + 3000;
    while (double.requests.slice(from).filter((r) => r.query.index !== undefined).length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    watcher.stop();
    const sent = double.requests.slice(from);
    const byKind = (path: string, blocking: boolean) =>
      sent.find((r) => r.path === path && (r.query.index !== undefined) === blocking);
    assertSameRequest(byKind("/v1/catalog/services", false), servicesInitial, "services watch, first query");
    assertSameRequest(byKind("/v1/health/service/helloworld", false), serviceInitial, "service watch, first query");
    const blockingServices = byKind("/v1/catalog/services", true);
    const blockingService = byKind("/v1/health/service/helloworld", true);
    assert.ok(blockingServices && blockingService, "both watch plans sent a blocking query");
    // The index value is the server's; compare the rest and that it echoes X-Consul-Index.
    assert.deepEqual(Object.keys(blockingServices.query), Object.keys(servicesBlocking.query));
    assert.deepEqual(Object.keys(blockingService.query), Object.keys(serviceBlocking.query));
    assert.match(blockingServices.query.index!, /^\d+$/);
    assertSameRequest({ ...blockingService, query: { index: serviceBlocking.query.index! } }, serviceBlocking, "service watch, blocking");
  });

  it("deregister on shutdown: PUT /v1/agent/service/deregister/<id>", async () => {
    const deregister = capturedFor("deregister", isHelloworldPath);
    const from = double.requests.length;
    await registry.deregister(serviceFromCapture(capturedFor("register-start", isHelloworldRegister)));
    assertSameRequest(double.requests[from], deregister, "deregister");
    assert.equal(double.serviceStatus().size, 0);
  });

  it("a pass Consul rejects because it lost the service (404) is followed by a full register and pass", async () => {
    const started = serviceFromCapture(capturedFor("register-start", isHelloworldRegister));
    await registry.register(started, { ttlMs: 20_000 });
    await double.restart();
    const from = double.requests.length;
    await registry.register(started, { ttlMs: 20_000 });
    const sent = double.requests.slice(from).map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(sent, [
      `PUT /v1/agent/check/pass/service:${helloworldId}`,
      "PUT /v1/agent/service/register",
      `PUT /v1/agent/check/pass/service:${helloworldId}`,
    ]);
    assert.equal(double.serviceStatus().get(helloworldId), "passing");
    await registry.deregister(started);
  });

  it("TTL and deregister-after follow mqant: TTL as a Go duration, max(TTL, 1m) + 5s", async () => {
    const service = serviceFromCapture(capturedFor("register-start", isHelloworldRegister));
    const cases: Array<[number, string, string]> = [
      [20_000, "20s", "1m5s"],
      [90_000, "1m30s", "1m35s"],
      [1_500, "1.5s", "1m5s"],
    ];
    for (const [ttlMs, ttl, after] of cases) {
      const from = double.requests.length;
      const changed: Service = { ...service, nodes: [{ ...service.nodes[0]!, metadata: { ...service.nodes[0]!.metadata, ttl } }] };
      await registry.register(changed, { ttlMs });
      const body = JSON.parse(double.requests[from]!.body) as { Check: Record<string, string> };
      assert.deepEqual(body.Check, { TTL: ttl, DeregisterCriticalServiceAfter: after });
    }
    await registry.deregister(service);
  });
});

describe("Consul registry fails fast with RegistryError when Consul does not answer", () => {
  let silent: Server;
  let silentPort: number;
  const silentSockets = new Set<Socket>();
  before(async () => {
    // Accepts connections and never answers, like a hung agent.
    silent = createServer((socket) => {
      silentSockets.add(socket);
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
    silentPort = (silent.address() as { port: number }).port;
  });
  after(async () => {
    for (const socket of silentSockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it("connection refused: rejects with RegistryError", async () => {
    const registry = new ConsulRegistry({ address: `127.0.0.1:${await freePort()}`, requestTimeoutMs: 500 });
    try {
      await assert.rejects(registry.register(serviceFromCapture(capturedFor("register-start", isHelloworldRegister)), { ttlMs: 20_000 }), RegistryError);
    } finally {
      await registry.close();
    }
  });

  it("an agent that never answers: rejects with RegistryError after the request timeout, not later", async () => {
    const registry = new ConsulRegistry({ address: `127.0.0.1:${silentPort}`, requestTimeoutMs: 300 });
    const started = Date.now();
    try {
      await assert.rejects(registry.register(serviceFromCapture(capturedFor("register-start", isHelloworldRegister)), { ttlMs: 20_000 }), RegistryError);
      assert.ok(Date.now() - started < 3000, "gave up after its timeout");
    } finally {
      await registry.close();
    }
  });

  it("CONSUL_HTTP_ADDR is the default address, with or without a scheme", async () => {
    const saved = process.env.CONSUL_HTTP_ADDR;
    try {
      process.env.CONSUL_HTTP_ADDR = "http://127.0.0.1:18599";
      const fromEnv = new ConsulRegistry();
      assert.equal(fromEnv.address, "http://127.0.0.1:18599");
      await fromEnv.close();
      const explicit = new ConsulRegistry({ address: "127.0.0.1:18600" });
      assert.equal(explicit.address, "127.0.0.1:18600");
      await explicit.close();
    } finally {
      if (saved === undefined) delete process.env.CONSUL_HTTP_ADDR;
      else process.env.CONSUL_HTTP_ADDR = saved;
    }
  });
});
