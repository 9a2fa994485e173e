/**
 * The HTTP gateway: mqant's `httpgateway` route (`/moduleType/...` → RPC whose handler name is the URL path,
 * carrying a `go.api.Request` and answered by a `go.api.Response`), plus typed JSON routes generated from
 * module descriptors (`POST /helloworld/sayHi {"name":"x"}` → `"hi x"`).
 *
 * It is a plain node:http request listener so users can mount it in their own server, next to other routes.
 */
import { endSpan, otelContext, startHttpSpan, tracingActive } from "../observe/tracing.js";
import type { IncomingMessage, ServerResponse } from "node:http";
import { STATUS_CODES } from "node:http";
import type { AppHandle } from "../app/types.js";
import { BadArgumentError, HttpGatewayError, MqgenError, errorFromWire } from "../errors.js";
import { describeJson, jsonOf } from "../codec/value-json.js";
import type {
  CallOptions,
  HandlerDescriptor,
  MessageType,
  ModuleDescriptor,
  RawResult,
  ValueCodec,
} from "../descriptor.js";
import {
  API_REQUEST_TAG,
  type ApiPair,
  type ApiRequest,
  decodeApiResponse,
  encodeApiRequest,
} from "../codec/api.js";

export interface HttpGatewayOptions {
  /** Modules whose non-gate handlers get typed JSON routes `POST <prefix>/<type>/<method>`. */
  readonly descriptors?: readonly ModuleDescriptor[];
  /**
   * No longer needed: every codec carries its JSON form (messages map with their `fromJson`/`toJson`:
   * int64 as strings, bytes as base64, enums by name). Accepted and ignored, so existing callers compile.
   */
  readonly messages?: readonly MessageType<object>[];
  /** Path prefix the gateway answers under (`/api`); stripped before routing. Default: none. */
  readonly prefix?: string;
  /** Largest accepted request body; larger ones get 413. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** Per-call timeout; default: the handler's schema timeout, then the app's RPC timeout. */
  readonly timeoutMs?: number;
  /** Serve mqant's `/moduleType/...` route for paths that are not typed routes. Default true. */
  readonly mqantRoutes?: boolean;
  /** Requests outside `prefix` go here instead of getting a 404 (e.g. static files of a web app). */
  readonly fallback?: (req: IncomingMessage, res: ServerResponse) => void;
}

export type HttpGatewayHandler = (req: IncomingMessage, res: ServerResponse) => void;

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** The error body mqant's gateway writes (go-micro's errors.Error): `{"id","code","detail","status"}`. */
export interface HttpErrorBody {
  readonly id: string;
  readonly code: number;
  readonly detail: string;
  readonly status: string;
}

const ERROR_ID = "httpgateway";
const JSON_CONTENT_TYPE = "application/json";
/** Response headers a backend may not set: node computes framing itself. */
const HOP_BY_HOP = new Set(["content-length", "transfer-encoding", "connection", "keep-alive", "upgrade"]);

interface TypedRoute {
  readonly module: ModuleDescriptor;
  readonly handler: HandlerDescriptor;
}

export function createHttpGateway(app: AppHandle, options: HttpGatewayOptions = {}): HttpGatewayHandler {
  const prefix = normalizePrefix(options.prefix);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const mqantRoutes = options.mqantRoutes ?? true;
  const modules = new Map<string, ModuleDescriptor>();
  const typedRoutes = new Map<string, TypedRoute>();
  for (const module of options.descriptors ?? []) {
    modules.set(module.type, module);
    for (const handler of Object.values(module.handlers)) {
      // Gate handlers take a session first; only a gate can supply one.
      if (handler.gate) continue;
      typedRoutes.set(`/${module.type}/${handler.method}`, { module, handler });
    }
  }
  // Route templates for the request metrics (runtime/ops): bounded label values, never the raw path.
  const routeOf = new WeakMap<IncomingMessage, string>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = req.url ?? "/";
    // Origin-form targets are resolved against a dummy base; `//x/y` must stay a path, not become a host.
    let url: URL;
    try {
      url = target.startsWith("/") ? new URL(`http://gateway.invalid${target}`) : new URL(target);
    } catch {
      throw new HttpGatewayError(400, `malformed request target ${JSON.stringify(target)}`);
    }
    let path: string;
    try {
      // Go's r.URL.Path is unescaped, and mqant's handler names are that path.
      path = decodeURIComponent(url.pathname);
    } catch {
      throw new HttpGatewayError(400, `malformed percent-encoding in ${JSON.stringify(url.pathname)}`);
    }
    if (prefix !== "") {
      if (path !== prefix && !path.startsWith(`${prefix}/`)) {
        if (options.fallback !== undefined) {
          options.fallback(req, res);
          return;
        }
        throw new HttpGatewayError(404, `no route for ${path}`);
      }
      path = path.slice(prefix.length);
    }
    const moduleType = path.split("/")[1] ?? "";
    if (moduleType === "") throw new HttpGatewayError(404, `no module in path ${JSON.stringify(path)}`);

    const abort = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) abort.abort();
    });
    const callOptions: CallOptions =
      options.timeoutMs === undefined ? { signal: abort.signal } : { signal: abort.signal, timeout: options.timeoutMs };

    const typed = typedRoutes.get(path);
    routeOf.set(req, typed !== undefined ? path : "/:module/*");
    if (typed !== undefined) {
      await serveTyped(req, res, typed, callOptions);
      return;
    }
    if (!mqantRoutes) {
      throw new HttpGatewayError(404, unknownTarget(modules, moduleType, path));
    }
    await serveMqant(req, res, url, path, moduleType, callOptions);
  };

  const serveTyped = async (
    req: IncomingMessage,
    res: ServerResponse,
    route: TypedRoute,
    callOptions: CallOptions,
  ): Promise<void> => {
    if (req.method !== "POST") {
      res.setHeader("Allow", "POST");
      throw new HttpGatewayError(405, `${route.module.type}.${route.handler.method} takes POST with a JSON object`);
    }
    const body = await readBody(req, maxBodyBytes);
    const input = parseJsonObject(body);
    const args = argsFromJson(route.handler, input);
    let result: unknown;
    try {
      result = await app.callHandler(route.module, route.handler, args, callOptions);
    } catch (err) {
      throw classifyCallError(err, modules.has(route.module.type));
    }
    writeJson(res, 200, resultToJson(route.handler.result, result));
  };

  const serveMqant = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    path: string,
    moduleType: string,
    callOptions: CallOptions,
  ): Promise<void> => {
    const body = await readBody(req, maxBodyBytes);
    const request = toApiRequest(req, url, path, body);
    let raw: RawResult;
    try {
      raw = await app.callArgs(moduleType, path, [API_REQUEST_TAG], [encodeApiRequest(request)], callOptions);
    } catch (err) {
      throw classifyCallError(err, modules.has(moduleType));
    }
    if (raw.error !== "") throw errorFromWire(raw.error);
    // Go's mqrpc.Proto also takes a `bytes` reply, so a backend may answer the encoded Response as bytes.
    const decodable = /^(proto@|marshal@)/.test(raw.resultType) || raw.resultType === "bytes" || raw.resultType === "null";
    if (!decodable) {
      throw new HttpGatewayError(502, `backend ${path} answered ${raw.resultType}, expected a go.api.Response`);
    }
    let response;
    try {
      response = decodeApiResponse(raw.result);
    } catch (err) {
      throw new HttpGatewayError(502, `backend ${path} answered an undecodable go.api.Response`, { cause: err });
    }
    const status = response.statusCode === 0 ? 200 : response.statusCode;
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new HttpGatewayError(502, `backend ${path} answered status ${response.statusCode}`);
    }
    for (const [name, pair] of Object.entries(response.header)) {
      if (HOP_BY_HOP.has(name.toLowerCase()) || pair.values.length === 0) continue;
      try {
        res.setHeader(name, pair.values);
      } catch (err) {
        throw new HttpGatewayError(502, `backend ${path} answered an invalid header ${JSON.stringify(name)}`, {
          cause: err,
        });
      }
    }
    if (!res.hasHeader("content-type")) res.setHeader("Content-Type", JSON_CONTENT_TYPE);
    res.statusCode = status;
    res.end(response.body);
  };

  return (req, res) => {
    if (tracingActive()) {
      // Honours an incoming traceparent; the backend call's client span is a child of this one.
      const scope = startHttpSpan(req.method ?? "GET", req.headers["traceparent"]);
      res.once("finish", () => {
        const route = routeOf.get(req);
        if (route !== undefined) scope.span.updateName(`${req.method ?? "GET"} ${route}`);
        scope.span.setAttribute("http.response.status_code", res.statusCode);
        endSpan(scope.span, res.statusCode >= 500 ? `HTTP ${res.statusCode}` : undefined);
      });
      otelContext.with(scope.context, () => serve(req, res));
      return;
    }
    serve(req, res);
  };

  function serve(req: IncomingMessage, res: ServerResponse): void {
    const ops = app.ops;
    if (ops?.hasListeners === true) {
      const started = performance.now();
      res.once("finish", () => ops.http.request(routeOf.get(req) ?? "other", req.method ?? "", res.statusCode, performance.now() - started));
    }
    handle(req, res).catch((err: unknown) => writeError(req, res, err));
  }
}

function normalizePrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === "" || prefix === "/") return "";
  const withSlash = prefix.startsWith("/") ? prefix : `/${prefix}`;
  return withSlash.endsWith("/") ? withSlash.slice(0, -1) : withSlash;
}

function unknownTarget(modules: ReadonlyMap<string, ModuleDescriptor>, moduleType: string, path: string): string {
  return modules.has(moduleType) ? `unknown handler ${path}` : `unknown module ${JSON.stringify(moduleType)}`;
}

/** Reads the whole body, refusing (413) more than `limit` bytes, announced or actually sent. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const announced = req.headers["content-length"];
  if (announced !== undefined && Number(announced) > limit) {
    throw new HttpGatewayError(413, `request body of ${announced} bytes exceeds the limit of ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      throw new HttpGatewayError(413, `request body exceeds the limit of ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

function parseJsonObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch (err) {
    throw new HttpGatewayError(400, `malformed JSON body: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new HttpGatewayError(400, "the body must be a JSON object of parameters by name");
  }
  return parsed as Record<string, unknown>;
}

/** Go's textproto canonical header key: `content-type` → `Content-Type`. */
function canonicalHeaderKey(name: string): string {
  return name
    .split("-")
    .map((part) => (part === "" ? part : part[0].toUpperCase() + part.slice(1).toLowerCase()))
    .join("-");
}

function addPairValue(map: Record<string, ApiPair>, key: string, value: string): void {
  const pair = map[key];
  if (pair === undefined) map[key] = { key, values: [value] };
  else pair.values.push(value);
}

/** mqant's RequestToProto: form bodies go to `post`, others are copied raw; adds X-Forwarded-For and Host. */
function toApiRequest(req: IncomingMessage, url: URL, path: string, body: Buffer): ApiRequest {
  const header: Record<string, ApiPair> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (values === undefined || name === "host") continue;
    const key = canonicalHeaderKey(name);
    for (const value of values) addPairValue(header, key, value);
  }
  const remote = req.socket.remoteAddress;
  if (remote !== undefined) {
    const prior = header["X-Forwarded-For"];
    const chain = prior === undefined ? remote : `${prior.values.join(", ")}, ${remote}`;
    header["X-Forwarded-For"] = { key: "X-Forwarded-For", values: [chain] };
  }
  header["Host"] = { key: "Host", values: [req.headers.host ?? ""] };

  const get: Record<string, ApiPair> = {};
  for (const [key, value] of url.searchParams) addPairValue(get, key, value);

  const post: Record<string, ApiPair> = {};
  let rawBody: Uint8Array = body;
  const contentType = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  if (contentType === "application/x-www-form-urlencoded") {
    for (const [key, value] of new URLSearchParams(body.toString("utf8"))) addPairValue(post, key, value);
    rawBody = new Uint8Array(0);
  }
  // As in Go: the path excludes the mounted prefix only when the user strips it; here the handler name is
  // the routed path, and `url` keeps what the client sent.
  return { method: req.method ?? "GET", path, header, get, post, body: rawBody, url: req.url ?? path };
}

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  DEADLINE_EXCEEDED: 504,
  NONE_AVAILABLE: 503,
  BUSY: 503,
  CLOSED: 503,
  NOT_FOUND: 404,
  REMOTE: 502,
  SCHEMA_MISMATCH: 502,
  PROTOCOL: 502,
  BAD_ARGUMENT: 502,
  REGISTRY: 503,
  CONFIG: 500,
  ABORTED: 499,
  CIRCUIT_OPEN: 503,
};

/**
 * Errors of the call itself. "none available" for a module the gateway has no descriptor of means the
 * URL names nothing that exists: 404. For a described module it is a real outage: 503. Everything else
 * keeps the class the client (errorFromWire, the runtime's one table of mqant's texts) gave it.
 */
function classifyCallError(err: unknown, described: boolean): unknown {
  if (!(err instanceof MqgenError)) return err;
  if (err.code === "NONE_AVAILABLE" && !described && !err.remote) return new HttpGatewayError(404, `unknown module: ${err.message}`, { cause: err });
  return err;
}

function statusOf(err: unknown): number {
  if (err instanceof HttpGatewayError) return err.status;
  // A handler refusing its arguments is the client's fault; the gateway's own decoding failures stay 502.
  if (err instanceof MqgenError && err.remote && err.code === "BAD_ARGUMENT") return 400;
  if (err instanceof MqgenError) return STATUS_BY_CODE[err.code] ?? 500;
  return 500;
}

function writeJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value === undefined ? null : value);
  res.statusCode = status;
  res.setHeader("Content-Type", JSON_CONTENT_TYPE);
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(body);
}

function writeError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  const status = statusOf(err);
  if (status === 499 || res.destroyed) {
    res.destroy();
    return;
  }
  if (res.headersSent) {
    res.destroy(err instanceof Error ? err : undefined);
    return;
  }
  const detail = err instanceof Error ? err.message : String(err);
  const body: HttpErrorBody = { id: ERROR_ID, code: status, detail, status: STATUS_CODES[status] ?? "Error" };
  if (!req.complete) {
    const hasBody = (req.headers["content-length"] ?? "0") !== "0" || req.headers["transfer-encoding"] !== undefined;
    // A body refused unread: close rather than make the client stream it into a keep-alive socket.
    if (hasBody) res.setHeader("Connection", "close");
    req.resume();
  }
  // Drop whatever a half-copied backend response left behind (keep Allow, which explains a 405).
  for (const name of res.getHeaderNames()) {
    if (name !== "allow" && name !== "connection") res.removeHeader(name);
  }
  writeJson(res, status, body);
}

/** Handler arguments from a JSON body, each by its codec's JSON form. */
function argsFromJson(handler: HandlerDescriptor, input: Record<string, unknown>): unknown[] {
  const known = new Set(handler.params.map((param) => param.name));
  for (const key of Object.keys(input)) {
    if (!known.has(key)) throw new HttpGatewayError(400, `unknown parameter "${key}" for ${handler.method}`);
  }
  return handler.params.map((param) => {
    try {
      return valueFromJson(param.codec, input[param.name]);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new HttpGatewayError(400, `parameter "${param.name}": ${reason}`, { cause: err });
    }
  });
}

function resultToJson(codec: ValueCodec<unknown>, value: unknown): unknown {
  return codec.toJson !== undefined ? codec.toJson(value) : jsonOf(value);
}

function valueFromJson(codec: ValueCodec<unknown>, value: unknown): unknown {
  const isMessage = codec.tag.startsWith("proto@");
  if (value === undefined && codec.tag !== "null" && !isMessage) throw new BadArgumentError("missing");
  if (codec.fromJson !== undefined) return codec.fromJson(value);
  // A hand-written codec without a JSON form: hand it the object and let it judge.
  if (!isPlainObject(value)) throw new BadArgumentError(`expected a JSON object, got ${describeJson(value)}`);
  try {
    codec.encode(value);
  } catch (err) {
    throw new BadArgumentError(err instanceof Error ? err.message : String(err), { cause: err });
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
