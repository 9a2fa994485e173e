/**
 * The same behaviour whether the caller is in the same process (fast path) or another app over NATS:
 * serial vs concurrent ordering, the MaxCoroutine bound and busy error, deadlines on both sides, errors,
 * hooks, and no shared mutable arguments.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  BusyError,
  DeadlineExceededError,
  AbortedError,
  RemoteError,
  NoneAvailableError,
  NotFoundError,
  stringCodec,
  int32Codec,
  mapCodec,
  type CallContext,
  type HandlerDescriptor,
  type ModuleDescriptor,
  type App,
} from "../../runtime/index.js";
import { NatsServer } from "../support/nats-server.js";
import { sleep, startPair, testModule, type Mode } from "../support/apps.js";

type JsonMap = Record<string, unknown>;

const typed: ModuleDescriptor & {
  readonly handlers: {
    readonly echoMap: HandlerDescriptor<[value: JsonMap], JsonMap>;
    readonly add: HandlerDescriptor<[a: number, b: number], number>;
    readonly greet: HandlerDescriptor<[name: string], string>;
  };
} = {
  type: "typed",
  version: "1.0.0",
  schemaHash: "0000000000000001",
  handlers: {
    echoMap: {
      method: "echoMap",
      wireName: "/echo/map",
      mode: "concurrent",
      gate: false,
      params: [{ name: "value", codec: mapCodec }],
      result: mapCodec,
      retrySafe: true,
      hash: "00000000000000a1",
    },
    add: {
      method: "add",
      wireName: "/add",
      mode: "serial",
      gate: false,
      params: [
        { name: "a", codec: int32Codec },
        { name: "b", codec: int32Codec },
      ],
      result: int32Codec,
      retrySafe: true,
      timeoutMs: 2000,
      hash: "00000000000000a2",
    },
    greet: {
      method: "greet",
      wireName: "/greet",
      mode: "concurrent",
      gate: false,
      params: [{ name: "name", codec: stringCodec }],
      result: stringCodec,
      retrySafe: false,
      hash: "00000000000000a3",
    },
  },
  pushes: {},
};

let nats: NatsServer;
before(async () => {
  nats = await NatsServer.start();
});
after(async () => {
  await nats.dispose();
});

for (const mode of ["in-process", "nats"] as Mode[]) {
  describe(`rpc semantics (${mode})`, () => {
    test("register runs calls one at a time in arrival order; registerGo overlaps them", async () => {
      const events: string[] = [];
      let concurrent = 0;
      let maxConcurrent = 0;
      const pair = await startPair(
        mode,
        [
          testModule("m", (ctx) => {
            ctx.server.register("/serial", async (args) => {
              events.push(`start ${String(args[0])}`);
              await sleep(15);
              events.push(`end ${String(args[0])}`);
              return args[0];
            });
            ctx.server.registerGo("/go", async () => {
              concurrent++;
              maxConcurrent = Math.max(maxConcurrent, concurrent);
              await sleep(200);
              concurrent--;
              return null;
            });
          }),
        ],
        { natsUrl: nats.url },
      );
      try {
        const results = await Promise.all([1, 2, 3, 4].map((i) => pair.client.call("m", "/serial", [i])));
        assert.deepEqual(results, [1, 2, 3, 4]);
        assert.deepEqual(events, ["start 1", "end 1", "start 2", "end 2", "start 3", "end 3", "start 4", "end 4"]);
        await Promise.all(Array.from({ length: 8 }, () => pair.client.call("m", "/go", [])));
        assert.equal(maxConcurrent, 8);
      } finally {
        await pair.stop();
      }
    });

    test("Rpc.MaxCoroutine bounds concurrency; past the queue bound the caller gets BusyError", async () => {
      let running = 0;
      let peak = 0;
      const pair = await startPair(
        mode,
        [
          testModule("m", (ctx) => {
            ctx.server.registerGo("/work", async () => {
              running++;
              peak = Math.max(peak, running);
              await sleep(300);
              running--;
              return "done";
            });
          }),
        ],
        { natsUrl: nats.url, rpc: { MaxCoroutine: 2, MaxQueue: 3 } },
      );
      try {
        const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => pair.client.call("m", "/work", [])));
        const ok = outcomes.filter((o) => o.status === "fulfilled");
        const busy = outcomes.filter((o) => o.status === "rejected");
        assert.equal(ok.length, 5, "2 running + 3 queued");
        assert.equal(busy.length, 3);
        for (const o of busy) {
          const reason = (o as PromiseRejectedResult).reason as Error;
          assert.ok(reason instanceof BusyError, String(reason));
          assert.match(reason.message, /^m rpc func\(\/work\) busy: 2 running, 3 queued \(Rpc\.MaxCoroutine=2\)$/);
        }
        assert.equal(peak, 2);
      } finally {
        await pair.stop();
      }
    });

    test("the handler's signal fires at the caller's deadline and a late result is dropped", async () => {
      let sawAbort = false;
      let deadlineSeen = 0;
      let finished = false;
      const pair = await startPair(
        mode,
        [
          testModule("m", (ctx) => {
            ctx.server.registerGo("/slow", async (_args, call: CallContext) => {
              deadlineSeen = call.deadline;
              await new Promise<void>((resolve) => call.signal.addEventListener("abort", () => resolve(), { once: true }));
              sawAbort = call.signal.aborted;
              await sleep(20);
              finished = true;
              return "late";
            });
          }),
        ],
        { natsUrl: nats.url },
      );
      try {
        const started = Date.now();
        await assert.rejects(pair.client.call("m", "/slow", [], { timeout: 150 }), (err: unknown) => err instanceof DeadlineExceededError && err.message === "deadline exceeded");
        const elapsed = Date.now() - started;
        assert.ok(elapsed >= 140 && elapsed < 2000, `rejected after ${elapsed} ms`);
        assert.ok(Math.abs(deadlineSeen - (started + 150)) < 100, "handler saw the caller's deadline");
        for (let i = 0; i < 100 && !finished; i++) await sleep(20);
        assert.equal(sawAbort, true);
        assert.equal(finished, true);
      } finally {
        await pair.stop();
      }
    });

    test("a call queued past its deadline never runs", async () => {
      const ran: number[] = [];
      const pair = await startPair(
        mode,
        [
          testModule("m", (ctx) => {
            ctx.server.register("/one", async (args) => {
              ran.push(args[0] as number);
              await sleep(120);
              return null;
            });
          }),
        ],
        { natsUrl: nats.url },
      );
      try {
        const first = pair.client.call("m", "/one", [1]);
        const second = pair.client.call("m", "/one", [2], { timeout: 50 });
        await assert.rejects(second, DeadlineExceededError);
        await first;
        await sleep(20);
        assert.deepEqual(ran, [1]);
      } finally {
        await pair.stop();
      }
    });

    test("the caller's AbortSignal cancels the wait", async () => {
      const pair = await startPair(mode, [testModule("m", (ctx) => ctx.server.registerGo("/slow", () => sleep(300).then(() => 1)))], { natsUrl: nats.url });
      try {
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 30);
        await assert.rejects(pair.client.call("m", "/slow", [], { signal: controller.signal }), AbortedError);
      } finally {
        await pair.stop();
      }
    });

    test("errors: handler errors as RemoteError with their message; unknown handler and module", async () => {
      const pair = await startPair(
        mode,
        [
          testModule("m", (ctx) => {
            ctx.server.registerGo("/throw", () => {
              throw new Error("handler error: boom");
            });
            ctx.server.registerGo("/reject", async () => Promise.reject("plain string error"));
          }),
        ],
        { natsUrl: nats.url },
      );
      try {
        await assert.rejects(pair.client.call("m", "/throw", []), (err: unknown) => err instanceof RemoteError && err.message === "handler error: boom");
        await assert.rejects(pair.client.call("m", "/reject", []), (err: unknown) => err instanceof RemoteError && err.message === "plain string error");
        await assert.rejects(pair.client.call("m", "/nope", ["x"]), (err: unknown) => err instanceof NotFoundError && err.remote && err.message === "Remote function(/nope) not found");
        await assert.rejects(pair.client.call("nomodule", "/x", []), (err: unknown) => err instanceof NoneAvailableError && err.message === "none available");
        await assert.rejects(pair.client.call("m@0123456789abcdef", "/x", []), (err: unknown) => err instanceof NotFoundError && err.message === "nofound m@0123456789abcdef");
        await assert.rejects(pair.client.call("m@", "/x", []), (err: unknown) => err instanceof NotFoundError && err.message === "serverID is error m@");
      } finally {
        await pair.stop();
      }
    });

    test("typed handlers: codecs, wrong argument count in mqant's words, type@nodeId routing", async () => {
      let pairApp: App | undefined;
      const pair = await startPair(
        mode,
        [
          testModule(typed.type, (ctx) => {
            ctx.server.registerHandler(typed, typed.handlers.add, (args) => args[0] + args[1]);
            ctx.server.registerHandler(typed, typed.handlers.greet, (args) => `hi ${args[0]}`);
          }),
        ],
        { natsUrl: nats.url },
      );
      pairApp = pair.client;
      try {
        assert.equal(await pairApp.callHandler(typed, typed.handlers.add, [2, 40]), 42);
        assert.equal(await pairApp.call("typed", "/greet", ["你好"]), "hi 你好");
        const nodeId = pair.server.nodeIds.typed as string;
        assert.match(nodeId, /^typed@[0-9a-f]{16}$/);
        assert.equal(await pairApp.callHandler(typed, typed.handlers.greet, ["n"], { node: nodeId }), "hi n");
        assert.equal(await pairApp.callHandler(typed, typed.handlers.greet, ["n"], { node: nodeId.slice(6) }), "hi n");
        await assert.rejects(
          pairApp.call("typed", "/greet", ["a", "b"]),
          (err: unknown) => err instanceof RemoteError && err.message.startsWith("The number of params") && err.message.includes("is not adapted.</greet(string)>"),
        );
        await assert.rejects(pairApp.call("typed", "/add", ["x", 1]), (err: unknown) => err instanceof RemoteError && err.message.startsWith("typed rpc func(/add) error"));
        const servers = await pairApp.getServersByType("typed");
        assert.equal(servers.length, 1);
        assert.equal(servers[0]?.metadata.schema, typed.schemaHash);
        assert.equal(servers[0]?.metadata.version, "1.0.0");
        assert.equal(servers[0]?.metadata.pid, String(process.pid));
        assert.equal((await pairApp.getServerById(nodeId)).id, nodeId);
        assert.equal(servers[0]?.address.startsWith(mode === "nats" ? "_INBOX." : "local:"), true);
      } finally {
        await pair.stop();
      }
    });

    test("arguments and results are never shared between caller and handler", async () => {
      let kept: Record<string, unknown> | undefined;
      const pair = await startPair(
        mode,
        [
          testModule(typed.type, (ctx) => {
            ctx.server.registerHandler(typed, typed.handlers.echoMap, (args) => {
              const value = args[0];
              (value.nested as { list: number[] }).list.push(99);
              kept = value;
              return value;
            });
            ctx.server.registerGo("/untyped", (args) => {
              (args[0] as { list: number[] }).list.push(7);
              return args[0];
            });
          }),
        ],
        { natsUrl: nats.url },
      );
      try {
        const input = { nested: { list: [1, 2] }, s: "x" };
        const result = await pair.client.callHandler(typed, typed.handlers.echoMap, [input]);
        assert.deepEqual(input, { nested: { list: [1, 2] }, s: "x" }, "caller's argument untouched");
        assert.deepEqual(result, { nested: { list: [1, 2, 99] }, s: "x" });
        (result.nested as { list: number[] }).list.push(100);
        assert.deepEqual((kept?.nested as { list: number[] }).list, [1, 2, 99], "handler's value untouched by the caller");
        const raw = { list: [1] };
        const echoed = (await pair.client.call(typed.type, "/untyped", [raw])) as { list: number[] };
        assert.deepEqual(raw, { list: [1] });
        assert.deepEqual(echoed, { list: [1, 7] });
      } finally {
        await pair.stop();
      }
    });

    test("callNR: the handler runs, nothing comes back, errors stay on the server", async () => {
      const got: unknown[] = [];
      const completions: (string | undefined)[] = [];
      const pair = await startPair(
        mode,
        [
          testModule("m", (ctx) => {
            ctx.server.registerGo("/note", (args) => {
              got.push(args[0]);
              return "ignored";
            });
            ctx.server.registerGo("/fails", () => {
              throw new Error("nobody hears this");
            });
          }),
        ],
        { natsUrl: nats.url },
      );
      pair.server.onComplete((info) => completions.push(info.error));
      try {
        assert.equal(await pair.client.callNR("m", "/note", ["a"]), undefined);
        assert.equal(await pair.client.callNR("m", "/note", ["b"]), undefined);
        assert.equal(await pair.client.callNR("m", "/fails", []), undefined);
        for (let i = 0; i < 50 && (got.length < 2 || completions.length < 3); i++) await sleep(10);
        assert.deepEqual(got.sort(), ["a", "b"]);
        assert.ok(completions.includes("nobody hears this"));
        assert.equal(await pair.client.call("m", "/note", ["c"]), "ignored");
      } finally {
        await pair.stop();
      }
    });

    test("hooks: before-handle refuses, on-complete reports, not-found catch-all serves unknown names", async () => {
      const completed: { handler: string; error: string | undefined }[] = [];
      const pair = await startPair(
        mode,
        [testModule("m", (ctx) => ctx.server.registerGo("/ok", (args) => `ok ${String(args[0])}`))],
        { natsUrl: nats.url },
      );
      pair.server.onBeforeHandle((info) => (info.args[0] === "forbidden" ? new Error("refused by policy") : undefined));
      pair.server.onComplete((info) => {
        assert.equal(typeof info.durationMs, "number");
        completed.push({ handler: info.handler, error: info.error });
      });
      pair.server.onNotFound((info) => (info.fn.startsWith("/dyn/") ? (args) => `dynamic ${info.fn} ${String(args[0])}` : undefined));
      try {
        assert.equal(await pair.client.call("m", "/ok", ["fine"]), "ok fine");
        await assert.rejects(pair.client.call("m", "/ok", ["forbidden"]), (err: unknown) => err instanceof RemoteError && err.message === "refused by policy");
        assert.equal(await pair.client.call("m", "/dyn/anything", [1]), "dynamic /dyn/anything 1");
        await assert.rejects(pair.client.call("m", "/other", []), /Remote function\(\/other\) not found/);
        assert.deepEqual(completed.slice(0, 3), [
          { handler: "/ok", error: undefined },
          { handler: "/ok", error: "refused by policy" },
          { handler: "/dyn/anything", error: undefined },
        ]);
      } finally {
        await pair.stop();
      }
    });
  });
}
