/**
 * The HTTP gateway over real HTTP (node's fetch) against real apps: everything in one process, and the
 * gateway in its own app calling the backends over a real nats-server.
 */
import assert from "node:assert/strict";
import { Agent, request as httpRequest } from "node:http";
import { after, before, describe, test } from "node:test";
import { createApp, type App } from "../../runtime/internal.js";
import type { Module } from "../../runtime/internal.js";
import { HttpGatewayModule } from "../../runtime/internal.js";
import { MemoryRegistry } from "../../runtime/internal.js";
import { helloworld } from "../../generated/helloworld.js";
import { NatsServer } from "../support/nats-server.js";
import { Greeting, calc, calcModule, helloworldModule, parking, parkingModule, webModule } from "./support.js";

interface Running {
  readonly base: string;
  readonly parked: (() => void)[];
  stop(): Promise<void>;
}

function moduleConfig(modules: readonly Module[], processId: string, gatewaySettings: object): Record<string, object[]> {
  const config: Record<string, object[]> = {};
  for (const m of modules) {
    config[m.type] = [{ Id: `${m.type}001`, ProcessID: processId, Settings: m.type === "HttpGateway" ? gatewaySettings : {} }];
  }
  return config;
}

function gatewayModule(): HttpGatewayModule {
  return new HttpGatewayModule({
    descriptors: [helloworld, calc, parking],
    messages: [Greeting],
    maxBodyBytes: 4096,
  });
}

/** Backends and gateway in one app: calls take the in-process path. */
async function startInProcess(): Promise<Running> {
  const parked: (() => void)[] = [];
  const gateway = gatewayModule();
  const modules: Module[] = [helloworldModule(), calcModule(), parkingModule(parked), webModule(), gateway];
  const app = createApp({
    parseFlags: false,
    debug: false,
    config: { Module: moduleConfig(modules, "development", { Addr: "127.0.0.1:0" }), Rpc: { MaxQueue: 0 } },
  });
  await app.start(modules);
  const port = gateway.address()?.port;
  assert.ok(port !== undefined && port > 0);
  return {
    base: `http://127.0.0.1:${port}`,
    parked,
    stop: async () => {
      for (const release of parked.splice(0)) release();
      await app.stop();
    },
  };
}

/** Backends in one app, the gateway in another; they meet over NATS. */
async function startOverNats(nats: NatsServer): Promise<Running> {
  const parked: (() => void)[] = [];
  const registry = new MemoryRegistry();
  const backends: Module[] = [helloworldModule(), calcModule(), parkingModule(parked), webModule()];
  const gateway = gatewayModule();
  const apps: App[] = [];
  const backendApp = createApp({
    parseFlags: false,
    debug: false,
    registry,
    nats: { servers: nats.url },
    processId: "backend",
    config: { Module: moduleConfig(backends, "backend", {}), Rpc: { MaxQueue: 0 } },
  });
  await backendApp.start(backends);
  apps.push(backendApp);
  const gatewayApp = createApp({
    parseFlags: false,
    debug: false,
    registry,
    nats: { servers: nats.url },
    processId: "web",
    config: { Module: moduleConfig([gateway], "web", { Port: 0, Addr: "127.0.0.1:0" }) },
  });
  await gatewayApp.start([gateway]);
  apps.push(gatewayApp);
  const port = gateway.address()?.port;
  assert.ok(port !== undefined && port > 0);
  return {
    base: `http://127.0.0.1:${port}`,
    parked,
    stop: async () => {
      for (const release of parked.splice(0)) release();
      for (const app of apps.reverse()) await app.stop();
    },
  };
}

async function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown; headers: Headers }> {
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text === "" ? undefined : JSON.parse(text), headers: response.headers };
}

function assertError(result: { status: number; json: unknown }, status: number, detail: RegExp): void {
  assert.equal(result.status, status, JSON.stringify(result.json));
  const body = result.json as { id: string; code: number; detail: string; status: string };
  assert.equal(body.id, "httpgateway");
  assert.equal(body.code, status);
  assert.match(body.detail, detail);
  assert.equal(typeof body.status, "string");
  assert.ok(body.status.length > 0);
}

/** The behaviour both deployments must share. */
function sharedSuite(name: string, start: () => Promise<Running>): void {
  describe(name, () => {
    let running: Running;
    before(async () => {
      running = await start();
    });
    after(async () => {
      await running.stop();
    });

    test("typed route: POST /helloworld/sayHi answers the handler's string as JSON", async () => {
      const result = await post(running.base, "/helloworld/sayHi", { name: "x" });
      assert.equal(result.status, 200);
      assert.equal(result.headers.get("content-type"), "application/json");
      assert.equal(result.json, "hi x");
    });

    test("typed route: int64 in and out as decimal strings, numbers accepted when safe", async () => {
      const big = await post(running.base, "/calc/add", { a: "9007199254740993", b: "1" });
      assert.equal(big.status, 200);
      assert.equal(big.json, "9007199254740994");
      const small = await post(running.base, "/calc/add", { a: 2, b: -5 });
      assert.equal(small.json, "-3");
    });

    test("typed route: doubles, int32 and uint32 parameters", async () => {
      const result = await post(running.base, "/calc/scale", { value: 1.5, times: 3, limit: 4000000000 });
      assert.equal(result.status, 200);
      assert.equal(result.json, 4.5);
    });

    test("typed route: bytes as base64 both ways, maps as objects", async () => {
      const reversed = await post(running.base, "/calc/reverse", { data: Buffer.from([1, 2, 3]).toString("base64") });
      assert.equal(reversed.json, Buffer.from([3, 2, 1]).toString("base64"));
      const keys = await post(running.base, "/calc/keys", { object: { b: 1, a: { c: true } } });
      assert.equal(keys.json, "a,b");
    });

    test("typed route: message parameter and result through the protobuf JSON mapping", async () => {
      const result = await post(running.base, "/calc/greet", {
        greeting: { text: "hey", count: "21", data: Buffer.from("raw").toString("base64"), tags: ["x"] },
      });
      assert.equal(result.status, 200);
      assert.deepEqual(result.json, { text: "HEY", count: "42", data: Buffer.from("raw").toString("base64"), tags: ["x", "seen"] });
    });

    test("typed route: a void handler answers null, an empty body means no parameters", async () => {
      const response = await fetch(`${running.base}/calc/nothing`, { method: "POST" });
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "null");
    });

    test("400: malformed JSON, a non-object body, wrong parameter types name the parameter", async () => {
      assertError(await post(running.base, "/helloworld/sayHi", "{\"name\":"), 400, /malformed JSON/);
      assertError(await post(running.base, "/helloworld/sayHi", "[1,2]"), 400, /JSON object/);
      assertError(await post(running.base, "/helloworld/sayHi", { name: 5 }), 400, /parameter "name": expected a string/);
      assertError(await post(running.base, "/helloworld/sayHi", {}), 400, /parameter "name": missing/);
      assertError(await post(running.base, "/helloworld/sayHi", { name: "x", nmae: "y" }), 400, /unknown parameter "nmae"/);
      assertError(await post(running.base, "/calc/add", { a: "12x", b: 1 }), 400, /parameter "a": expected an integer/);
      assertError(await post(running.base, "/calc/add", { a: 2 ** 60, b: 1 }), 400, /parameter "a": .*precision/);
      assertError(await post(running.base, "/calc/scale", { value: 1, times: 2 ** 31, limit: 1 }), 400, /parameter "times": .*out of range/);
      assertError(await post(running.base, "/calc/scale", { value: 1, times: 1, limit: -1 }), 400, /parameter "limit": .*0\.\.4294967295/);
      assertError(await post(running.base, "/calc/reverse", { data: "not base64!" }), 400, /parameter "data": expected base64/);
      assertError(await post(running.base, "/calc/greet", { greeting: { text: 5 } }), 400, /parameter "greeting": .*text/);
    });

    test("404: unknown module, unknown handler, gate handlers are not exposed", async () => {
      assertError(await post(running.base, "/nosuchmodule/sayHi", {}), 404, /unknown module/);
      assertError(await post(running.base, "/helloworld/nosuch", {}), 404, /not found/);
      assertError(await post(running.base, "/calc/hello", { who: "x" }), 404, /not found/);
    });

    test("405: typed routes take POST only", async () => {
      const response = await fetch(`${running.base}/helloworld/sayHi`);
      assert.equal(response.status, 405);
      assert.equal(response.headers.get("allow"), "POST");
      await response.body?.cancel();
    });

    test("502: the handler's error text is the detail", async () => {
      assertError(await post(running.base, "/calc/fail", { why: "because" }), 502, /refused: because/);
    });

    test("504: deadline exceeded at the handler's schema timeout", async () => {
      const started = Date.now();
      assertError(await post(running.base, "/calc/slow", { ms: 5000 }), 504, /deadline exceeded/);
      assert.ok(Date.now() - started < 4000, "the call did not wait for the handler");
    });

    test("503: the backend is busy", async () => {
      const first = post(running.base, "/parking/park", {});
      // Wait until the first call holds the serial slot.
      for (let i = 0; i < 200 && running.parked.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(running.parked.length, 1);
      assertError(await post(running.base, "/parking/park", {}), 503, /busy/);
      for (const release of running.parked.splice(0)) release();
      const done = await first;
      assert.equal(done.status, 200);
      assert.equal(done.json, "unparked");
    });

    test("413: a body over the limit, announced or streamed, and the gateway keeps serving", async () => {
      assertError(await post(running.base, "/helloworld/sayHi", { name: "x".repeat(5000) }), 413, /exceeds the limit of 4096 bytes/);
      const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(`${running.base}/web/echo`, { method: "POST", headers: { "Transfer-Encoding": "chunked" } }, (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (body += chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        for (let i = 0; i < 10; i++) req.write("y".repeat(1000));
        req.end();
      });
      assert.equal(streamed.status, 413);
      assert.match((JSON.parse(streamed.body) as { detail: string }).detail, /exceeds the limit/);
      const after = await post(running.base, "/helloworld/sayHi", { name: "again" });
      assert.equal(after.json, "hi again");
    });

    test("mqant route: the backend decodes go.api.Request (method, path, query, headers, body)", async () => {
      const response = await fetch(`${running.base}/web/echo?q=1&q=2&r=x`, {
        method: "PUT",
        headers: { "Content-Type": "text/plain", "X-Custom-Header": "yes", "X-Forwarded-For": "10.0.0.1" },
        body: "hello body",
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "application/json");
      const seen = (await response.json()) as Record<string, unknown>;
      assert.equal(seen["method"], "PUT");
      assert.equal(seen["path"], "/web/echo");
      assert.equal(seen["url"], "/web/echo?q=1&q=2&r=x");
      assert.deepEqual(seen["get"], { q: { key: "q", values: ["1", "2"] }, r: { key: "r", values: ["x"] } });
      assert.equal(seen["body"], "hello body");
      assert.deepEqual(seen["contentType"], ["text/plain"]);
      assert.deepEqual(seen["custom"], ["yes"]);
      assert.match((seen["forwardedFor"] as string[])[0], /^10\.0\.0\.1, .*127\.0\.0\.1$/);
      assert.match((seen["host"] as string[])[0], /^127\.0\.0\.1:\d+$/);
    });

    test("mqant route: the handler name is the unescaped path, as Go's r.URL.Path", async () => {
      const spaced = await fetch(`${running.base}/web/hello%20world?x=1`);
      assert.equal(spaced.status, 200);
      assert.equal(await spaced.json(), "/web/hello world");
      const malformed = await fetch(`${running.base}/web/%zz`);
      assertError({ status: malformed.status, json: await malformed.json() }, 400, /percent-encoding/);
    });

    test("mqant route: form bodies arrive as post fields with an empty body", async () => {
      const response = await fetch(`${running.base}/web/echo`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: "a=1&b=two&a=3",
      });
      const seen = (await response.json()) as Record<string, unknown>;
      assert.deepEqual(seen["post"], { a: { key: "a", values: ["1", "3"] }, b: { key: "b", values: ["two"] } });
      assert.equal(seen["body"], "");
    });

    test("mqant route: the Response's status, headers and body are copied; framing headers are not", async () => {
      const teapot = await fetch(`${running.base}/web/teapot`);
      assert.equal(teapot.status, 418);
      assert.equal(teapot.headers.get("content-type"), "text/plain");
      assert.equal(teapot.headers.get("x-kettle"), "a, b");
      assert.equal(await teapot.text(), "short and stout");
      const binary = await fetch(`${running.base}/web/binary`, { method: "POST", body: new Uint8Array([0, 255, 7]) });
      assert.equal(binary.status, 200);
      assert.deepEqual(new Uint8Array(await binary.arrayBuffer()), new Uint8Array([7, 255, 0]));
    });

    test("mqant route: errors as go-micro JSON with specific statuses", async () => {
      const failed = await fetch(`${running.base}/web/fail`);
      assertError({ status: failed.status, json: await failed.json() }, 502, /web backend exploded/);
      const wrong = await fetch(`${running.base}/web/wrong`);
      assertError({ status: wrong.status, json: await wrong.json() }, 502, /expected a go\.api\.Response/);
      const missing = await fetch(`${running.base}/web/nothing/here`);
      assertError({ status: missing.status, json: await missing.json() }, 404, /not found/);
      const badHeader = await fetch(`${running.base}/web/badheader`);
      assertError({ status: badHeader.status, json: await badHeader.json() }, 502, /invalid header "Bad Header"/);
      assert.equal(badHeader.headers.get("x-good"), null, "headers of the failed response are not leaked");
      const unknown = await fetch(`${running.base}/ghost/path`);
      assertError({ status: unknown.status, json: await unknown.json() }, 404, /unknown module/);
    });

    test("keep-alive: consecutive requests reuse one connection", async () => {
      const ports = new Set<number>();
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve, reject) => {
          const req = httpRequest(`${running.base}/helloworld/sayHi`, { method: "POST", agent: keepAliveAgent }, (res) => {
            ports.add(res.socket.localPort ?? -1);
            res.resume();
            res.on("end", () => resolve());
          });
          req.on("error", reject);
          req.end(JSON.stringify({ name: String(i) }));
        });
      }
      assert.equal(ports.size, 1);
    });
  });
}

const keepAliveAgent = new Agent({ keepAlive: true, maxSockets: 1 });
after(() => keepAliveAgent.destroy());

sharedSuite("in process", startInProcess);

describe("over NATS", () => {
  let nats: NatsServer;
  before(async () => {
    nats = await NatsServer.start();
  });
  after(async () => {
    await nats.dispose();
  });
  sharedSuite("gateway app and backend app on a real nats-server", () => startOverNats(nats));

  test("503: a described module with no node running", async () => {
    const gateway = gatewayModule();
    const app = createApp({
      parseFlags: false,
      debug: false,
      nats: { servers: nats.url },
      // Its nats-server runs without JetStream, which the default NATS KV registry needs.
      registry: new MemoryRegistry(),
      processId: "lonely",
      config: { Module: moduleConfig([gateway], "lonely", { Addr: "127.0.0.1:0" }) },
    });
    await app.start([gateway]);
    try {
      const result = await post(`http://127.0.0.1:${gateway.address()?.port}`, "/helloworld/sayHi", { name: "x" });
      assertError(result, 503, /none available/);
    } finally {
      await app.stop();
    }
  });
});

describe("prefix, fallback and typed-only gateways", () => {
  let app: App;
  let base: string;
  let typedOnlyBase: string;
  before(async () => {
    const prefixed = new HttpGatewayModule({
      descriptors: [helloworld],
      prefix: "/api/",
      fallback: (req, res) => {
        res.setHeader("Content-Type", "text/plain");
        res.end(`static ${req.url}`);
      },
    });
    const typedOnly = new HttpGatewayModule({ type: "TypedGateway", descriptors: [helloworld], mqantRoutes: false });
    const modules: Module[] = [helloworldModule(), webModule(), prefixed, typedOnly];
    const config = moduleConfig(modules, "development", { Addr: "127.0.0.1:0" });
    config["TypedGateway"] = [{ Id: "typed001", ProcessID: "development", Settings: { Addr: "127.0.0.1:0" } }];
    app = createApp({ parseFlags: false, debug: false, config: { Module: config } });
    await app.start(modules);
    base = `http://127.0.0.1:${prefixed.address()?.port}`;
    typedOnlyBase = `http://127.0.0.1:${typedOnly.address()?.port}`;
  });
  after(async () => {
    await app.stop();
  });

  test("routes live under the prefix, which is stripped from handler names", async () => {
    assert.equal((await post(base, "/api/helloworld/sayHi", { name: "p" })).json, "hi p");
    const echoed = await fetch(`${base}/api/web/echo`);
    assert.equal(((await echoed.json()) as { path: string }).path, "/web/echo");
  });

  test("paths outside the prefix go to the fallback", async () => {
    const page = await fetch(`${base}/index.html`);
    assert.equal(page.status, 200);
    assert.equal(await page.text(), "static /index.html");
    const lookalike = await fetch(`${base}/apix/helloworld/sayHi`);
    assert.equal(await lookalike.text(), "static /apix/helloworld/sayHi");
  });

  test("with mqantRoutes off, only typed routes answer", async () => {
    assert.equal((await post(typedOnlyBase, "/helloworld/sayHi", { name: "t" })).json, "hi t");
    const echo = await fetch(`${typedOnlyBase}/web/echo`);
    assertError({ status: echo.status, json: await echo.json() }, 404, /unknown module "web"/);
    const unknownHandler = await fetch(`${typedOnlyBase}/helloworld/other`);
    assertError({ status: unknownHandler.status, json: await unknownHandler.json() }, 404, /unknown handler \/helloworld\/other/);
  });
});
