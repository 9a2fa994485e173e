/**
 * Middleware through the public surface, in process and over a real nats-server: order (first installed
 * outermost), what each side sees, short-circuit, changed results and errors, timing, per-module scope,
 * and the built-in retry, circuit breaker and timeout.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  CircuitOpenError,
  DeadlineExceededError,
  NoneAvailableError,
  NotFoundError,
  RemoteError,
  createApp,
  middleware,
  stringCodec,
  MemoryRegistry,
  type ClientCall,
  type HandlerDescriptor,
  type Middleware,
  type ModuleDescriptor,
  type ServerCall,
} from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { configFor, sleep, startPair, testModule, type Mode } from "../support/apps.js";

type Echo = HandlerDescriptor<[s: string], string>;

function descriptor(type: string, retrySafe: boolean): ModuleDescriptor & { readonly handlers: { readonly echo: Echo } } {
  return {
    type,
    version: "1.0.0",
    schemaHash: "00000000000000m1",
    handlers: {
      echo: { method: "echo", wireName: "/echo", mode: "concurrent", gate: false, params: [{ name: "s", codec: stringCodec }], result: stringCodec, retrySafe, hash: "00000000000000e1" },
    },
    pushes: {},
  };
}
const safe = descriptor("svc", true);
const unsafe = descriptor("svc", false);
const echo = safe.handlers.echo;

let nats: NatsServer;
before(async () => {
  nats = await NatsServer.start();
});
after(async () => {
  await nats.dispose();
});

function echoModule(type: string, impl: (s: string) => string | Promise<string> = (s) => `echo ${s}`): ReturnType<typeof testModule> {
  return testModule(type, (ctx) => {
    const module = descriptor(type, true);
    ctx.server.registerHandler(module, module.handlers.echo, (args) => impl(args[0]));
  });
}

for (const mode of ["in-process", "nats"] as Mode[]) {
  describe(`middleware (${mode})`, () => {
    test("run in install order around the call on both sides; see module, handler, args and context; time the call", async () => {
      const events: string[] = [];
      const seenServer: ServerCall[] = [];
      const seenClient: ClientCall[] = [];
      const durations: number[] = [];
      const pair = await startPair(mode, [echoModule("svc", async (s) => {
        events.push("handler");
        await sleep(20);
        return `echo ${s}`;
      })], { natsUrl: nats.url });
      try {
        const tag = (name: string): Middleware => ({
          name,
          server: async (call, next) => {
            seenServer.push(call);
            events.push(`server ${name} in`);
            const out = await next();
            events.push(`server ${name} out`);
            return out;
          },
          client: async (call, next) => {
            seenClient.push(call);
            events.push(`client ${name} in`);
            const started = performance.now();
            const out = await next();
            durations.push(performance.now() - started);
            events.push(`client ${name} out`);
            return out;
          },
        });
        pair.server.use(tag("a"));
        pair.server.use(tag("b"));
        if (pair.client !== pair.server) {
          pair.client.use(tag("a"));
          pair.client.use(tag("b"));
        }
        assert.equal(await pair.client.callHandler(safe, echo, ["x"], { timeout: 3000 }), "echo x");
        const clientEvents = events.filter((e) => e.startsWith("client"));
        const serverEvents = events.filter((e) => !e.startsWith("client"));
        assert.deepEqual(clientEvents, ["client a in", "client b in", "client b out", "client a out"]);
        assert.deepEqual(serverEvents, ["server a in", "server b in", "handler", "server b out", "server a out"]);
        const server = seenServer[0]!;
        assert.equal(server.side, "server");
        assert.equal(server.module, "svc");
        assert.equal(server.handler, "/echo");
        assert.equal(server.descriptor?.method, "echo");
        assert.deepEqual(server.args, ["x"]);
        assert.equal(server.nodeId, pair.server.nodeIds.svc);
        assert.ok(server.ctx.deadline > Date.now() && server.ctx.deadline <= Date.now() + 3000);
        assert.match(server.ctx.traceId, /^[0-9a-f]{16}$/);
        const client = seenClient[seenClient.length - 1]!;
        assert.equal(client.side, "client");
        assert.equal(client.module, "svc");
        assert.equal(client.handler, "/echo");
        assert.equal(client.retrySafe, true);
        assert.equal(client.nodeId, pair.server.nodeIds.svc, "the node the call went to");
        assert.ok(durations.every((d) => d >= 15), `timed around the handler's 20 ms: ${durations.join(", ")}`);
      } finally {
        await pair.stop();
      }
    });

    test("short-circuit, changed arguments, results and errors; per-module scope", async () => {
      let ran = 0;
      const pair = await startPair(mode, [echoModule("svc", (s) => {
        ran++;
        if (s === "fail") throw new Error("handler failed");
        return `echo ${s}`;
      }), echoModule("other")], { natsUrl: nats.url });
      try {
        pair.server.use(
          {
            name: "server-side",
            server: async (call, next) => {
              if (call.args[0] === "cached") return "from cache";
              if (call.args[0] === "refuse") throw new Error("refused by middleware");
              if (call.args[0] === "rename") return next(["renamed"]);
              try {
                return `${String(await next())}!`;
              } catch (err) {
                throw new Error(`wrapped: ${(err as Error).message}`);
              }
            },
          },
          { modules: ["svc"] },
        );
        pair.client.use(
          { name: "client-side", client: async (call, next) => (call.args[0] === "local" ? "answered by the caller's middleware" : next()) },
          { modules: ["svc"] },
        );
        const call = (s: string): Promise<string> => pair.client.callHandler(safe, echo, [s]);
        assert.equal(await call("cached"), "from cache");
        assert.equal(await call("rename"), "echo renamed");
        assert.equal(await call("y"), "echo y!");
        assert.equal(ran, 2, "the short-circuited call never reached the handler");
        await assert.rejects(call("refuse"), (err: unknown) => err instanceof RemoteError && err.message === "refused by middleware");
        await assert.rejects(call("fail"), (err: unknown) => err instanceof RemoteError && err.message === "wrapped: handler failed");
        assert.equal(await call("local"), "answered by the caller's middleware");
        assert.equal(ran, 3);
        // Another module's calls and handlers are not wrapped.
        const other = descriptor("other", true);
        assert.equal(await pair.client.callHandler(other, other.handlers.echo!, ["local"]), "echo local");
        assert.equal(await pair.client.callHandler(other, other.handlers.echo!, ["cached"]), "echo cached");
      } finally {
        await pair.stop();
      }
    });

    test("retry: a retry-safe call is retried with backoff on a retryable failure; one that is not retry-safe is not", async () => {
      let calls = 0;
      // "none available" is mqant's text of a failed downstream call: retryable, but it may have run.
      const pair = await startPair(mode, [echoModule("svc", (s) => {
        calls++;
        if (calls % 3 !== 0) throw new Error("none available");
        return `echo ${s}`;
      })], { natsUrl: nats.url });
      try {
        await assert.rejects(pair.client.callHandler(safe, echo, ["x"]), NoneAvailableError, "no middleware: no retry");
        assert.equal(calls, 1);
        pair.client.use(middleware.retry({ maxAttempts: 3, initialDelayMs: 5 }));
        calls = 0;
        assert.equal(await pair.client.callHandler(safe, echo, ["x"]), "echo x");
        assert.equal(calls, 3);
        calls = 0;
        await assert.rejects(pair.client.callHandler(unsafe, unsafe.handlers.echo!, ["x"]), NoneAvailableError);
        assert.equal(calls, 1, "not retry-safe: it may have run, so it is not sent again");
      } finally {
        await pair.stop();
      }
    });

    test("timeout: a default per handler, the caller's own timeout wins", async () => {
      const pair = await startPair(mode, [echoModule("svc", async (s) => {
        await sleep(s === "slow" ? 400 : 0);
        return `echo ${s}`;
      })], { natsUrl: nats.url });
      try {
        pair.client.use(middleware.timeout({ handlers: { "svc.echo": 100 }, defaultMs: 5000 }));
        const started = Date.now();
        await assert.rejects(pair.client.callHandler(safe, echo, ["slow"]), DeadlineExceededError);
        assert.ok(Date.now() - started < 350, "the handler's default of 100 ms applied");
        assert.equal(await pair.client.callHandler(safe, echo, ["slow"], { timeout: 3000 }), "echo slow");
      } finally {
        await pair.stop();
      }
    });

    test("circuit breaker: a node failing in a row is held back, then one trial call closes it again", async () => {
      let hang = true;
      let ran = 0;
      const pair = await startPair(mode, [echoModule("svc", async (s) => {
        ran++;
        if (hang) await sleep(300);
        return `echo ${s}`;
      })], { natsUrl: nats.url });
      try {
        const breaker = middleware.circuitBreaker({ failures: 2, halfOpenAfterMs: 400 });
        pair.client.use(breaker);
        const nodeId = pair.server.nodeIds.svc!;
        for (let i = 0; i < 2; i++) await assert.rejects(pair.client.callHandler(safe, echo, ["x"], { timeout: 50 }), DeadlineExceededError);
        assert.equal(breaker.state(nodeId), "open");
        const before = ran;
        await assert.rejects(pair.client.callHandler(safe, echo, ["x"], { timeout: 50 }), NoneAvailableError, "its only node is held back");
        await assert.rejects(pair.client.callHandler(safe, echo, ["x"], { node: nodeId }), CircuitOpenError);
        assert.equal(ran, before, "held-back calls were not sent");
        hang = false;
        const reopened = Date.now() + 5000;
        while (breaker.state(nodeId) === "open" && Date.now() < reopened) await sleep(20);
        assert.equal(breaker.state(nodeId), "halfOpen");
        assert.equal(await pair.client.callHandler(safe, echo, ["trial"]), "echo trial");
        assert.equal(breaker.state(nodeId), "closed");
      } finally {
        await pair.stop();
      }
    });
  });
}

describe("middleware over NATS with two nodes", () => {
  test("a killed node: the breaker holds it back, and retry-safe calls all succeed on the other node", async () => {
    const registry = new MemoryRegistry();
    const modules = [echoModule("svc")];
    const base = { parseFlags: false, debug: false, registry, config: configFor(modules), nats: { servers: nats.url } } as const;
    const a = createApp(base);
    const b = createApp(base);
    const caller = createApp({ ...base, processId: "caller" });
    await a.start(modules);
    await b.start([echoModule("svc")]);
    await caller.start([]);
    try {
      const breaker = middleware.circuitBreaker({ failures: 1, halfOpenAfterMs: 60_000 });
      caller.use(breaker);
      caller.use(middleware.retry({ maxAttempts: 3, initialDelayMs: 5 }));
      const killed = b.nodeIds.svc!;
      // Killed: its NATS connection drops without deregistering, so the registry still lists it.
      await b.nats!.close();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => caller.callHandler(safe, echo, [`n${i}`], { timeout: 3000 })));
      assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => `echo n${i}`));
      await assert.rejects(caller.callHandler(safe, echo, ["x"], { node: killed, timeout: 500 }), (err: unknown) => err instanceof NoneAvailableError || err instanceof CircuitOpenError || err instanceof NotFoundError);
      assert.equal(breaker.state(killed), "open", "the node the client stepped over counts against it");
      assert.equal(breaker.state(a.nodeIds.svc!), "closed", "the live node's circuit stayed closed");
    } finally {
      await caller.stop();
      await b.stop().catch(() => undefined);
      await a.stop();
    }
  });
});
