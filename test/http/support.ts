/**
 * Backend modules for the HTTP gateway tests: the generated helloworld, a `calc` module with a hand-written
 * descriptor covering every JSON mapping and failure, a `parking` module to make the RPC server busy, and a
 * `web` module answering mqant-style routes with go.api Responses.
 */
import type { Module, ModuleContext } from "../../runtime/internal.js";
import { RemoteError } from "../../runtime/internal.js";
import { apiBodyText, apiResponse, type ApiRequest } from "../../runtime/internal.js";
import { registerHttpRoute } from "../../runtime/internal.js";
import { defineMessage } from "../../runtime/internal.js";
import type { HandlerDescriptor, MessageType, ModuleDescriptor, ParamDescriptor, ValueCodec } from "../../runtime/internal.js";
import { bytesCodec, doubleCodec, int32Codec, int64Codec, mapCodec, stringCodec, uint32Codec, voidCodec } from "../../runtime/internal.js";
import { registerHelloworld } from "../../generated/helloworld.js";

export interface Greeting {
  text: string;
  count: bigint;
  data: Uint8Array;
  tags: string[];
}

export const Greeting: MessageType<Greeting> = defineMessage<Greeting>("test.Greeting", () => [
  { no: 1, name: "text", type: { kind: "scalar", scalar: "string" }, cardinality: "singular" },
  { no: 2, name: "count", type: { kind: "scalar", scalar: "int64" }, cardinality: "singular" },
  { no: 3, name: "data", type: { kind: "scalar", scalar: "bytes" }, cardinality: "singular" },
  { no: 4, name: "tags", type: { kind: "scalar", scalar: "string" }, cardinality: "repeated" },
]);

function handler(method: string, params: ParamDescriptor[], result: ValueCodec<unknown>, timeoutMs?: number): HandlerDescriptor {
  return {
    method,
    wireName: `/calc/${method}`,
    mode: "concurrent",
    gate: false,
    params,
    result,
    retrySafe: true,
    hash: method,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
}

export const calc: ModuleDescriptor = {
  type: "calc",
  version: "1.0.0",
  schemaHash: "calc-test",
  handlers: {
    add: handler("add", [{ name: "a", codec: int64Codec }, { name: "b", codec: int64Codec }], int64Codec),
    scale: handler("scale", [{ name: "value", codec: doubleCodec }, { name: "times", codec: int32Codec }, { name: "limit", codec: uint32Codec }], doubleCodec),
    reverse: handler("reverse", [{ name: "data", codec: bytesCodec }], bytesCodec),
    keys: handler("keys", [{ name: "object", codec: mapCodec }], stringCodec),
    greet: handler("greet", [{ name: "greeting", codec: Greeting.codec }], Greeting.codec),
    nothing: handler("nothing", [], voidCodec),
    slow: handler("slow", [{ name: "ms", codec: int32Codec }], stringCodec, 200),
    fail: handler("fail", [{ name: "why", codec: stringCodec }], stringCodec),
    hello: { ...handler("hello", [{ name: "who", codec: stringCodec }], stringCodec), wireName: "HD_hello", gate: true },
  },
  pushes: {},
};

export function helloworldModule(): Module {
  return {
    type: "helloworld",
    version: "1.0.0",
    onInit(ctx: ModuleContext) {
      registerHelloworld(ctx.server, { sayHi: (name) => `hi ${name}` });
    },
  };
}

export function calcModule(): Module {
  return {
    type: "calc",
    version: "1.0.0",
    onInit(ctx: ModuleContext) {
      const h = calc.handlers;
      ctx.server.registerHandler(calc, h.add, (args) => (args[0] as bigint) + (args[1] as bigint));
      ctx.server.registerHandler(calc, h.scale, (args) => Math.min((args[0] as number) * (args[1] as number), args[2] as number));
      ctx.server.registerHandler(calc, h.reverse, (args) => new Uint8Array([...(args[0] as Uint8Array)].reverse()));
      ctx.server.registerHandler(calc, h.keys, (args) => Object.keys(args[0] as object).sort().join(","));
      ctx.server.registerHandler(calc, h.greet, (args) => {
        const greeting = args[0] as Greeting;
        return { text: greeting.text.toUpperCase(), count: greeting.count * 2n, data: greeting.data, tags: [...greeting.tags, "seen"] };
      });
      ctx.server.registerHandler(calc, h.nothing, () => undefined);
      ctx.server.registerHandler(calc, h.slow, async (args, callCtx) => {
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, args[0] as number);
          // Finish soon after the deadline (so stopping the app does not wait), but clearly after it, so
          // the late result is dropped and the caller sees its own deadline.
          callCtx.signal.addEventListener("abort", () => {
            clearTimeout(timer);
            setTimeout(resolve, 200);
          });
        });
        return "done";
      });
      ctx.server.registerHandler(calc, h.fail, (args) => {
        throw new RemoteError(`refused: ${String(args[0])}`);
      });
      ctx.server.registerHandler(calc, h.hello, (args) => `hello ${String(args[1])}`);
    },
  };
}

export const parking: ModuleDescriptor = {
  type: "parking",
  version: "1.0.0",
  schemaHash: "parking-test",
  handlers: { park: { ...handler("park", [], stringCodec), wireName: "/parking/park", mode: "serial" } },
  pushes: {},
};

/** A serial handler that holds its slot until released, so the next call finds the server busy. */
export function parkingModule(parked: (() => void)[]): Module {
  return {
    type: "parking",
    version: "1.0.0",
    onInit(ctx: ModuleContext) {
      ctx.server.registerHandler(parking, parking.handlers.park, async () => {
        await new Promise<void>((resolve) => parked.push(resolve));
        return "unparked";
      });
    },
  };
}

/** mqant-style backend: handlers named by URL path, taking go.api.Request, answering go.api.Response. */
export function webModule(): Module {
  return {
    type: "web",
    version: "1.0.0",
    onInit(ctx: ModuleContext) {
      registerHttpRoute(ctx.server, "web", "/web/echo", (request: ApiRequest) =>
        apiResponse(
          200,
          JSON.stringify({
            method: request.method,
            path: request.path,
            url: request.url,
            get: request.get,
            post: request.post,
            body: apiBodyText(request),
            contentType: request.header["Content-Type"]?.values ?? null,
            forwardedFor: request.header["X-Forwarded-For"]?.values ?? null,
            host: request.header["Host"]?.values ?? null,
            custom: request.header["X-Custom-Header"]?.values ?? null,
          }),
        ),
      );
      registerHttpRoute(ctx.server, "web", "/web/teapot", () =>
        apiResponse(418, "short and stout", { "Content-Type": "text/plain", "X-Kettle": ["a", "b"], "Content-Length": "999" }),
      );
      registerHttpRoute(ctx.server, "web", "/web/hello world", (request) => apiResponse(200, JSON.stringify(request.path)));
      registerHttpRoute(ctx.server, "web", "/web/binary", (request) => apiResponse(0, new Uint8Array([...request.body].reverse()), { "Content-Type": "application/octet-stream" }));
      registerHttpRoute(ctx.server, "web", "/web/badheader", () =>
        apiResponse(200, "never sent", { "X-Good": "kept?", "Bad Header": "space in the name" }),
      );
      registerHttpRoute(ctx.server, "web", "/web/fail", () => {
        throw new RemoteError("web backend exploded");
      });
      // An untyped handler answering something that is not a go.api.Response.
      ctx.server.registerGo("/web/wrong", () => "a plain string");
    },
  };
}
