/**
 * The backend side of mqant's HTTP route: a module answers `<prefix>/<type>/...` paths by registering
 * handlers under the full URL path (mqant's convention), taking a `go.api.Request` and returning a
 * `go.api.Response`. Registered through a descriptor so the reply carries Go's `proto@*go_api.Response` tag.
 */
import type { CallContext, HandlerDescriptor, HandlerMode, ModuleDescriptor, ModuleServer } from "../descriptor.js";
import { type ApiRequest, type ApiResponse, apiRequestCodec, apiResponseCodec } from "../codec/api.js";

export type HttpRouteHandler = (request: ApiRequest, ctx: CallContext) => ApiResponse | Promise<ApiResponse>;

/** Registers `handler` for HTTP requests to `path` (e.g. `/web/echo`, the module type as first segment). */
export function registerHttpRoute(
  server: ModuleServer,
  moduleType: string,
  path: string,
  handler: HttpRouteHandler,
  mode: HandlerMode = "concurrent",
): void {
  const descriptor: HandlerDescriptor<[request: ApiRequest], ApiResponse> = {
    method: path,
    wireName: path,
    mode,
    gate: false,
    params: [{ name: "request", codec: apiRequestCodec }],
    result: apiResponseCodec,
    retrySafe: false,
    hash: "go.api",
  };
  const module: ModuleDescriptor = {
    type: moduleType,
    version: "",
    schemaHash: "",
    handlers: { [path]: descriptor },
    pushes: {},
  };
  server.registerHandler(module, descriptor, (args, ctx) => handler(args[0], ctx));
}
