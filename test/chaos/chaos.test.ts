/**
 * The chaos suite: a 3-node nats-server cluster with JetStream on loopback, the NATS KV registry with 3
 * replicas, backend A on n1 (through a TCP proxy, for link drops), backend B on n2, the caller on n3,
 * 64 calls in flight. One fault per test, on the same cluster (started once for the suite): a 15 ms link
 * drop, kill -9 of each server in turn (A's, the caller's, the JetStream meta leader, the registry
 * stream's leader), a restart with an empty JetStream store, and backends crashing under retry-safe and
 * non-retry-safe load.
 *
 * Asserted for retry-safe calls: no client-visible error while another backend is up, no call settles
 * later than its deadline + 100 ms, service back within 1 s of a blip or a restart, registrations survive
 * losing any one server. For non-retry-safe calls: at most the calls in flight fail, each with a clear
 * error and well before its deadline.
 */
import assert from "node:assert/strict";
import { after, before, describe, it, type TestContext } from "node:test";
import { connect, type NatsConnection } from "nats";
import { MqgenError, NatsKvRegistry } from "../../runtime/internal.js";
import { echoModule } from "../discovery/echo-module.js";
import { keepCalling, startCallerApp, startEchoBackend, waitUntil, waitUntilNoError, type FaultApp, type FaultAppOptions } from "../support/fault-apps.js";
import { NatsCluster, type ClusterNode } from "../support/nats-cluster.js";
import { TcpProxy } from "../support/tcp-proxy.js";

const LANES = 64;
const TIMEOUT_MS = 2000;
// Above JetStream's failover time (a leader election took 2.5–9 s here): renewals fail while it runs.
const TTL_MS = 10_000;
const INTERVAL_MS = 1000;
const BUCKET = "chaos";
const STREAM = `KV_${BUCKET}`;
/** How late past its deadline a call may settle (timer and event-loop slack on a loaded machine). */
const LATE_MS = 100;

describe("chaos: 3-node NATS cluster with JetStream, two backends, one caller, 64 calls in flight", () => {
  let cluster: NatsCluster;
  let proxy: TcpProxy;
  let a: FaultApp;
  let b: FaultApp;
  let caller: FaultApp;
  let observerNc: NatsConnection;
  let observer: NatsKvRegistry;
  const extra: FaultApp[] = [];

  const registry = (nc: NatsConnection) => new NatsKvRegistry({ connection: nc, bucket: BUCKET, ttlMs: TTL_MS, replicas: 3, requestTimeoutMs: 1000 });
  const appOptions = (servers: string[], processId: string): FaultAppOptions => ({ servers, processId, registry, ttlMs: TTL_MS, intervalMs: INTERVAL_MS });

  before(async () => {
    cluster = await NatsCluster.start(3, "mqgen-chaos");
    await cluster.waitForJetStream(30_000);
    const [n1, n2, n3] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
    proxy = await TcpProxy.start(n1.port);
    // The bucket first, from one client, so three apps do not race to create it.
    observerNc = await connect({ servers: cluster.urls, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
    observer = registry(observerNc);
    await waitUntilNoError("registry bucket created", async () => {
      await observer.listServices();
      return true;
    }, 30_000, 200);
    a = await startEchoBackend(appOptions([proxy.url, n2.url, n3.url], "backend-a"));
    b = await startEchoBackend(appOptions([n2.url, n3.url, n1.url], "backend-b"));
    caller = await startCallerApp(appOptions([n3.url, n1.url, n2.url], "caller"));
  });

  after(async () => {
    for (const app of [caller, a, b, ...extra]) await app?.close();
    await observer?.close();
    await observerNc?.close();
    await proxy?.close();
    await cluster?.dispose();
  });

  /** Both backends registered, routed to by the caller, and the registry stream fully replicated. */
  async function healthy(backends: FaultApp[] = [a, b]): Promise<void> {
    await cluster.waitForJetStream(30_000, STREAM);
    const ids = backends.map((x) => x.nodeId).sort().join();
    await waitUntil("caller routes to every backend", async () => (await caller.app.getServersByType("echo")).map((n) => n.id).sort().join() === ids, 15_000, 20);
    await waitUntil("every backend answers", async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 40 && seen.size < backends.length; i++) {
        try {
          seen.add(await caller.app.callHandler(echoModule, echoModule.handlers.who!, [0], { timeout: 500 }));
        } catch {
          return false;
        }
      }
      return seen.size === backends.length;
    }, 15_000, 50);
  }

  async function registered(): Promise<string[]> {
    return (await observer.getService("echo")).flatMap((s) => s.nodes.map((n) => n.id)).sort();
  }

  /** Waits until the registry (a fresh read, as a new client would do) lists exactly these nodes. */
  async function registeredEventually(ids: string[], timeoutMs = 30_000): Promise<number> {
    return waitUntilNoError("registry lists the backends", async () => {
      return (await registered()).join() === [...ids].sort().join();
    }, timeoutMs, 100);
  }

  /** Runs 64 retry-safe lanes around `fault`, for `afterMs` after it; returns the traffic and the fault's time. */
  async function underLoad(fault: () => Promise<void> | void, afterMs = 2500, options: { retrySafe?: boolean; delayMs?: number } = {}) {
    const traffic = keepCalling(caller.app, { lanes: LANES, timeoutMs: TIMEOUT_MS, retrySafe: options.retrySafe, delayMs: options.delayMs });
    let faultAt = 0;
    try {
      await waitUntil("load running", () => traffic.outcomes.length > 200, 10_000);
      faultAt = Date.now();
      await fault();
      await new Promise((r) => setTimeout(r, afterMs));
    } finally {
      await traffic.stop();
    }
    return { traffic, faultAt };
  }

  function report(t: TestContext, what: string, traffic: ReturnType<typeof keepCalling>): void {
    const errors = traffic.errors();
    t.diagnostic(`${what}: ${traffic.outcomes.length} calls, ${errors.length} errors, latest settle ${traffic.worstLateness()} ms relative to its deadline`);
  }

  function assertRetrySafeClean(traffic: ReturnType<typeof keepCalling>): void {
    assert.deepEqual(traffic.errors().slice(0, 5).map((o) => `${o.error!.name}: ${o.error!.message}`), [], `${traffic.errors().length} client-visible errors`);
    assert.ok(traffic.worstLateness() <= LATE_MS, `a call settled ${traffic.worstLateness()} ms after its deadline`);
  }

  /** When `node` first served a call that started after `since`. */
  function servedAgainAt(traffic: ReturnType<typeof keepCalling>, node: string, since: number): number | undefined {
    const hit = traffic.outcomes.filter((o) => o.node === node && o.startedAt >= since).sort((x, y) => x.settledAt - y.settledAt)[0];
    return hit?.settledAt;
  }

  it("a 15 ms link drop of backend A: no error, A serves again within 1 s", async (t) => {
    await healthy();
    const { traffic, faultAt } = await underLoad(() => proxy.drop(15));
    report(t, "link drop", traffic);
    assertRetrySafeClean(traffic);
    const back = servedAgainAt(traffic, a.nodeId, faultAt + 15);
    assert.ok(back !== undefined, "A served again");
    t.diagnostic(`A served again ${back - faultAt} ms after the drop`);
    assert.ok(back - faultAt <= 1000, `A back ${back - faultAt} ms after the blip`);
  });

  it("kill -9 of backend A's server: no error, A serves again (through another server) within 1 s, and after the restart all is well", async (t) => {
    await healthy();
    const n1 = cluster.node("n1");
    let killed;
    try {
      killed = await underLoad(() => n1.stop("SIGKILL"));
      await registeredEventually([a.nodeId, b.nodeId]);
    } finally {
      if (!n1.running) await n1.start();
    }
    const { traffic, faultAt } = killed;
    report(t, "kill A's server", traffic);
    assertRetrySafeClean(traffic);
    const back = servedAgainAt(traffic, a.nodeId, faultAt);
    assert.ok(back !== undefined, "A served again");
    t.diagnostic(`A served again ${back - faultAt} ms after its server died`);
    assert.ok(back - faultAt <= 1000, `A back ${back - faultAt} ms after the kill`);
    await n1.stop("SIGKILL");
    const restart = await underLoad(() => n1.start(), 2000);
    report(t, "restart of A's server", restart.traffic);
    assertRetrySafeClean(restart.traffic);
  });

  it("kill -9 of the caller's server: no error, calls flow again within 1 s", async (t) => {
    await healthy();
    const n3 = cluster.node("n3");
    let run;
    try {
      run = await underLoad(() => n3.stop("SIGKILL"));
    } finally {
      await n3.start();
    }
    const { traffic, faultAt } = run;
    report(t, "kill the caller's server", traffic);
    for (const o of traffic.errors().slice(0, 5)) t.diagnostic(`error: started ${o.startedAt - faultAt} ms after the kill, settled ${o.settledAt - faultAt} ms after: ${o.error!.message}`);
    const resumed = traffic.outcomes.filter((o) => o.startedAt >= faultAt && o.error === undefined).sort((x, y) => x.settledAt - y.settledAt)[0];
    assert.ok(resumed !== undefined, "calls succeed again");
    t.diagnostic(`first call started after the kill succeeded ${resumed.settledAt - faultAt} ms after it`);
    assertRetrySafeClean(traffic);
    assert.ok(resumed.settledAt - faultAt <= 1000);
  });

  it("kill -9 of the caller's server under non-retry-safe load: at most the calls in flight fail, each clearly and long before its deadline", async (t) => {
    await healthy();
    const server = cluster.nodes.find((n) => caller.nc.getServer() === `127.0.0.1:${n.port}`);
    assert.ok(server !== undefined, `the caller's server (${caller.nc.getServer()}) is one of the cluster`);
    let run;
    try {
      run = await underLoad(() => server.stop("SIGKILL"), 2500, { retrySafe: false, delayMs: 5 });
    } finally {
      await server.start();
    }
    const { traffic, faultAt } = run;
    report(t, `kill the caller's server ${server.name} (non-retry-safe)`, traffic);
    const errors = traffic.errors();
    t.diagnostic(`failed: ${errors.length}; kinds: ${[...new Set(errors.map((o) => `${o.error!.name}: ${o.error!.message.replace(/echo@\w+/, "echo@…")}`))].join(" | ")}`);
    assert.ok(errors.length <= LANES, `${errors.length} failures, at most the ${LANES} calls in flight`);
    for (const o of errors) {
      assert.ok(o.error instanceof MqgenError, `typed error, got ${o.error!.name}: ${o.error!.message}`);
      assert.ok(o.startedAt <= faultAt + 50, `only calls in flight at the kill fail (one started ${o.startedAt - faultAt} ms after it)`);
      assert.ok(o.settledAt - o.startedAt < TIMEOUT_MS - 500, `failed after ${o.settledAt - o.startedAt} ms, not by hanging to the deadline`);
    }
    assert.ok(traffic.worstLateness() <= LATE_MS);
  });

  it("kill -9 of the JetStream meta leader: no error, registrations survive", async (t) => {
    await healthy();
    const leader = cluster.node(await cluster.waitForMetaLeader(20_000));
    t.diagnostic(`meta leader: ${leader.name}`);
    let run;
    try {
      run = await underLoad(() => leader.stop("SIGKILL"));
      await registeredEventually([a.nodeId, b.nodeId]);
    } finally {
      await leader.start();
    }
    report(t, `kill meta leader ${leader.name}`, run.traffic);
    assertRetrySafeClean(run.traffic);
  });

  it("kill -9 of the registry stream's leader: no error, registrations survive", async (t) => {
    await healthy();
    const name = await cluster.streamLeader(STREAM);
    assert.ok(name !== undefined, "the registry stream has a leader");
    const leader = cluster.node(name);
    t.diagnostic(`registry stream leader: ${leader.name}`);
    let run;
    let readable = 0;
    try {
      run = await underLoad(() => leader.stop("SIGKILL"));
      readable = await registeredEventually([a.nodeId, b.nodeId]);
    } finally {
      await leader.start();
    }
    report(t, `kill stream leader ${leader.name}`, run.traffic);
    t.diagnostic(`registry lists both nodes again ${readable - run.faultAt} ms after the kill`);
    assertRetrySafeClean(run.traffic);
  });

  it("a server restarted with an empty JetStream store: no error, registrations stay and the store is rebuilt", async (t) => {
    await healthy();
    const n2 = cluster.node("n2");
    const { traffic } = await underLoad(() => n2.restart({ emptyStore: true }), 3000);
    report(t, "restart n2 with an empty store", traffic);
    assertRetrySafeClean(traffic);
    await registeredEventually([a.nodeId, b.nodeId]);
    await cluster.waitForJetStream(30_000, STREAM);
  });

  it("backend A crashes (its connection gone at once) under retry-safe load: no error, A leaves routing within 1 s", async (t) => {
    await healthy();
    const victim = a.nodeId;
    const { traffic, faultAt } = await underLoad(async () => {
      await a.nc.close();
    });
    report(t, "backend A crashed", traffic);
    assertRetrySafeClean(traffic);
    const lastOnA = Math.max(...traffic.outcomes.filter((o) => o.node === victim).map((o) => o.settledAt));
    assert.ok(lastOnA - faultAt < 1000, "nothing is answered by the dead node later");
    assert.ok(!(await caller.app.getServersByType("echo")).some((n) => n.id === victim), "A out of routing");
    // A replacement for the next test.
    await a.close();
    a = await startEchoBackend(appOptions([proxy.url, ...cluster.urls.slice(1)], "backend-a2"));
  });

  it("backend B crashes under non-retry-safe load: at most the calls in flight fail, each clearly and long before its deadline", async (t) => {
    await healthy();
    const { traffic, faultAt } = await underLoad(async () => {
      await b.nc.close();
    }, 2500, { retrySafe: false, delayMs: 20 });
    report(t, "backend B crashed (non-retry-safe)", traffic);
    const errors = traffic.errors();
    t.diagnostic(`failed: ${errors.length}; kinds: ${[...new Set(errors.map((o) => `${o.error!.name}: ${o.error!.message}`))].join(" | ")}`);
    assert.ok(errors.length <= LANES, `${errors.length} failures, at most the ${LANES} calls in flight`);
    for (const o of errors) {
      assert.ok(o.error instanceof MqgenError, `typed error, got ${o.error!.name}: ${o.error!.message}`);
      assert.ok(o.startedAt <= faultAt + 1000, "only calls in flight around the crash fail");
      assert.ok(o.settledAt - o.startedAt < TIMEOUT_MS - 500, `failed after ${o.settledAt - o.startedAt} ms, not by hanging to the deadline`);
    }
    assert.ok(traffic.worstLateness() <= LATE_MS);
    await b.close();
  });
});

