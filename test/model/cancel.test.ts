/**
 * Cancellation across the hop, in process and over a real nats-server: the caller's AbortSignal fires
 * the handler's signal on the callee within 50 ms, for typed and untyped calls, and whether the handler
 * read its signal before or after the abort. The cancel subject is one Go mqant nodes never subscribe.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { AbortedError, stringCodec, type ModuleDescriptor } from "../../runtime/index.js";
import { NatsServer } from "../support/nats-server.js";
import { startPair, testModule, type Mode } from "../support/apps.js";

const svc: ModuleDescriptor = {
  type: "svc",
  version: "1.0.0",
  schemaHash: "00000000000000c1",
  handlers: {
    wait: { method: "wait", wireName: "/wait", mode: "concurrent", gate: false, params: [{ name: "s", codec: stringCodec }], result: stringCodec, retrySafe: false, hash: "00000000000000c2" },
  },
  pushes: {},
};
const wait = svc.handlers.wait!;

let nats: NatsServer;
before(async () => {
  nats = await NatsServer.start();
});
after(async () => {
  await nats.dispose();
});

/** A handler that resolves `aborted` with the ms between the caller's abort and its own signal firing. */
function waitingModule(onAbort: (reason: unknown, at: number) => void, readLate = false): ReturnType<typeof testModule> {
  const handler = async (args: unknown[], ctx: { signal: AbortSignal }): Promise<string> => {
    // Reading the signal late: the cancel may arrive before the handler looks at it.
    if (readLate) await new Promise((resolve) => setTimeout(resolve, 150));
    const signal = ctx.signal;
    await new Promise<void>((resolve) => {
      const fire = (): void => {
        onAbort(signal.reason, performance.now());
        resolve();
      };
      if (signal.aborted) fire();
      else signal.addEventListener("abort", fire, { once: true });
    });
    return `stopped ${String(args[0])}`;
  };
  return testModule("svc", (ctx) => {
    ctx.server.registerHandler(svc, wait, handler);
    ctx.server.registerGo("/untyped", handler as never);
  });
}

for (const mode of ["in-process", "nats"] as Mode[]) {
  describe(`cross-hop cancellation (${mode})`, () => {
    for (const kind of ["typed", "untyped"] as const) {
      test(`${kind}: aborting the caller's signal fires the remote handler's signal within 50 ms`, async () => {
        let fired: { reason: unknown; at: number } | undefined;
        let notify: () => void = () => undefined;
        const firedOnce = new Promise<void>((resolve) => (notify = resolve));
        let started: () => void = () => undefined;
        const pair = await startPair(mode, [waitingModule((reason, at) => {
          fired = { reason, at };
          notify();
        })], { natsUrl: nats.url, app: {} });
        pair.server.onBeforeHandle(() => {
          started();
          return undefined;
        });
        try {
          const running = new Promise<void>((resolve) => (started = resolve));
          const controller = new AbortController();
          const call = kind === "typed"
            ? pair.client.callHandler(svc, wait, ["x"], { signal: controller.signal, timeout: 10_000 })
            : pair.client.call("svc", "/untyped", ["x"], { signal: controller.signal, timeout: 10_000 });
          await running;
          // Let the handler subscribe to its signal first.
          await new Promise((resolve) => setTimeout(resolve, 20));
          const abortedAt = performance.now();
          controller.abort();
          await assert.rejects(call, AbortedError);
          await firedOnce;
          assert.ok(fired !== undefined);
          assert.ok(fired.at - abortedAt < 50, `the handler's signal fired ${(fired.at - abortedAt).toFixed(1)} ms after the abort`);
          assert.ok(fired.reason instanceof AbortedError);
          assert.equal((fired.reason as Error).message, "canceled by the caller");
        } finally {
          await pair.stop();
        }
      });
    }

    test("a cancel that arrives before the handler reads its signal still fires it", async () => {
      let fired: unknown;
      let notify: () => void = () => undefined;
      const firedOnce = new Promise<void>((resolve) => (notify = resolve));
      let started: () => void = () => undefined;
      const pair = await startPair(mode, [waitingModule((reason) => {
        fired = reason;
        notify();
      }, true)], { natsUrl: nats.url });
      pair.server.onBeforeHandle(() => {
        started();
        return undefined;
      });
      try {
        const running = new Promise<void>((resolve) => (started = resolve));
        const controller = new AbortController();
        const call = pair.client.call("svc", "/untyped", ["late"], { signal: controller.signal, timeout: 10_000 });
        await running;
        controller.abort();
        await assert.rejects(call, AbortedError);
        await firedOnce;
        assert.ok(fired instanceof AbortedError && fired.message === "canceled by the caller");
      } finally {
        await pair.stop();
      }
    });
  });
}

test("a Go mqant node, subscribed to its node subject exactly, never receives the cancel", async () => {
  let fired = false;
  let notify: () => void = () => undefined;
  const firedOnce = new Promise<void>((resolve) => (notify = resolve));
  let started: () => void = () => undefined;
  const pair = await startPair("nats", [waitingModule(() => {
    fired = true;
    notify();
  })], { natsUrl: nats.url });
  pair.server.onBeforeHandle(() => {
    started();
    return undefined;
  });
  try {
    const [node] = await pair.client.getServersByType("svc");
    assert.ok(node !== undefined);
    // What a Go node does (nats_server.go: SubscribeSync on its address): one subscription, that exact subject.
    const goLike = pair.client.nats!.subscribe(node.address);
    const seen: number[] = [];
    void (async () => {
      for await (const msg of goLike) seen.push(msg.data.length);
    })();
    const running = new Promise<void>((resolve) => (started = resolve));
    const controller = new AbortController();
    const call = pair.client.call("svc", "/untyped", ["x"], { signal: controller.signal, timeout: 10_000 });
    await running;
    controller.abort();
    await assert.rejects(call, AbortedError);
    await firedOnce;
    assert.ok(fired);
    await pair.client.nats!.flush();
    await pair.server.nats!.flush();
    goLike.unsubscribe();
    // Empty messages are the caller's liveness probes (transport/liveness.ts), which a slow call may trigger.
    assert.equal(seen.filter((n) => n > 0).length, 1, "the request only; no cancel reached the node's own subject");
  } finally {
    await pair.stop();
  }
});

test("in process, a signal shared by many calls keeps no listener per finished call", async () => {
  const pair = await startPair("in-process", [testModule("svc", (ctx) => {
    ctx.server.registerHandler(svc, wait, (args) => `done ${String(args[0])}`);
  })]);
  try {
    const shared = new AbortController();
    for (let i = 0; i < 50; i++) assert.equal(await pair.client.callHandler(svc, wait, [String(i)], { signal: shared.signal }), `done ${i}`);
    assert.equal(EventEmitter.getEventListeners(shared.signal, "abort").length, 0);
  } finally {
    await pair.stop();
  }
});
