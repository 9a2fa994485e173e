/**
 * The gate session as a backend handler sees it (mqant `gate.Session`): read-only fields of the client's
 * connection, and remote operations, each an RPC to the gate node that owns the connection (`serverId`)
 * under mqant's handler names, with mqant's `(trace, sessionId, …)` arguments. The RPC server hands the
 * session its caller through BIND_CALLER before the handler runs.
 */
import { ConfigError } from "../errors.js";
import { BIND_CALLER, type ArgSerializer, type CallerBindable, type RpcCaller, type ValueCodec } from "../descriptor.js";
import { MapStr } from "../rpc/args.js";
import { newId16 } from "../codec/ids.js";
import {
  SESSION_TAG,
  cloneSessionData,
  createSessionData,
  decodeSessionData,
  encodeSessionData,
  type SessionData,
} from "../codec/session.js";
import { TraceSpan } from "../rpc/trace.js";


const utf8Encoder = new TextEncoder();

function toBytes(body: Uint8Array | string): Uint8Array {
  return typeof body === "string" ? utf8Encoder.encode(body) : body;
}

/** mqant's gate.JudgeGuest: who counts as a guest. Default: no user id bound. */
let judgeGuest: (session: Session) => boolean = (session) => session.userId === "";

export function setJudgeGuest(judge: (session: Session) => boolean): void {
  judgeGuest = judge;
}

export class Session implements CallerBindable {
  #data: SessionData;
  #caller: RpcCaller | undefined;

  constructor(data: Partial<SessionData> = {}, caller?: RpcCaller) {
    this.#data = createSessionData(data);
    this.#caller = caller;
  }

  [BIND_CALLER](caller: RpcCaller): void {
    this.#caller = caller;
    // Bind, Update, … answer with a SESSION value, which the caller's app must be able to decode.
    const app = caller as Partial<SerializerHost>;
    if (typeof app.addSerializer === "function") ensureGateSerializer(app as SerializerHost);
  }

  get ip(): string {
    return this.#data.ip;
  }
  get network(): string {
    return this.#data.network;
  }
  get userId(): string {
    return this.#data.userId;
  }
  /** mqant GetUserIDInt64: the user id as a number, -1 when it is not one. */
  get userIdInt64(): bigint {
    return /^-?\d+$/.test(this.#data.userId) ? BigInt(this.#data.userId) : -1n;
  }
  get sessionId(): string {
    return this.#data.sessionId;
  }
  /** The owning gate's node id (`Gate@<16 hex>`). */
  get serverId(): string {
    return this.#data.serverId;
  }
  get traceId(): string {
    return this.#data.traceId;
  }
  get spanId(): string {
    return this.#data.spanId;
  }
  /** The client's publish topic this call came from. */
  get topic(): string {
    return this.#data.topic;
  }
  get settings(): Readonly<Record<string, string>> {
    return this.#data.settings;
  }
  get isGuest(): boolean {
    return judgeGuest(this);
  }

  get(key: string): string | undefined {
    return Object.hasOwn(this.#data.settings, key) ? this.#data.settings[key] : undefined;
  }

  /** mqant SetLocalKV: changes this copy only (it travels with the session in later RPC arguments). */
  setLocal(key: string, value: string): void {
    this.#data.settings[key] = value;
  }

  removeLocal(key: string): void {
    delete this.#data.settings[key];
  }

  /** A copy of the wire data. */
  toData(): SessionData {
    return cloneSessionData(this.#data);
  }

  /** The span the next hop sees: same trace, new span id (mqant ExtractSpan). */
  traceSpan(): TraceSpan {
    return new TraceSpan(this.#data.traceId, newId16());
  }

  /** Binds a user id to the connection (mqant Bind); the gate's StorageHandler settings are merged in. */
  async bind(userId: string): Promise<void> {
    this.adopt(await this.call("Bind", [userId]));
  }

  async unbind(): Promise<void> {
    this.adopt(await this.call("UnBind", []));
  }

  async set(key: string, value: string): Promise<void> {
    this.adopt(await this.call("Set", [key, value]));
  }

  async remove(key: string): Promise<void> {
    this.adopt(await this.call("Remove", [key]));
  }

  /** Sends this copy's settings to the gate, which merges them into the connection's session. */
  async push(): Promise<void> {
    this.adopt(await this.call("Push", [MapStr(this.#data.settings)]));
  }

  async setPush(key: string, value: string): Promise<void> {
    this.#data.settings[key] = value;
    await this.push();
  }

  async setBatch(settings: Readonly<Record<string, string>>): Promise<void> {
    this.adopt(await this.call("Push", [MapStr(settings)]));
  }

  /** Pulls the connection's current session from the gate. */
  async update(): Promise<void> {
    this.adopt(await this.call("Update", []));
  }

  /** Pushes a message to this client (QoS 0 PUBLISH on `topic`) and waits until the gate wrote it. */
  async send(topic: string, body: Uint8Array | string): Promise<void> {
    await this.call("Send", [topic, toBytes(body)]);
  }

  /** Like send, without waiting for the gate (mqant SendNR). */
  async sendNR(topic: string, body: Uint8Array | string): Promise<void> {
    await this.requireCaller().callNR(this.#data.serverId, "Send", [this.traceSpan(), this.#data.sessionId, topic, toBytes(body)]);
  }

  /** Pushes to several sessions of the same gate; resolves with how many were found. */
  async sendBatch(sessionIds: readonly string[] | string, topic: string, body: Uint8Array | string): Promise<number> {
    const ids = typeof sessionIds === "string" ? sessionIds : sessionIds.join(",");
    const count = await this.requireCaller().call(this.#data.serverId, "SendBatch", [this.traceSpan(), ids, topic, toBytes(body)]);
    return Number(count);
  }

  /** Pushes to every connection of this session's gate; resolves with how many got it. */
  async broadcast(topic: string, body: Uint8Array | string): Promise<number> {
    const count = await this.requireCaller().call(this.#data.serverId, "BroadCast", [this.traceSpan(), topic, toBytes(body)]);
    return Number(count);
  }

  /** Whether a user id is bound on a connection of this session's gate (mqant searches only that gate). */
  async isConnect(userId: string): Promise<boolean> {
    return (await this.call("IsConnect", [userId])) === true;
  }

  /** Closes the client's connection. */
  async close(): Promise<void> {
    await this.call("Close", []);
  }

  /** Takes the gate's view of the connection; the topic and trace of this call stay (as mqant's update). */
  private adopt(result: unknown): void {
    const data = sessionDataOf(result);
    if (data === undefined) return;
    const { topic, traceId, spanId } = this.#data;
    this.#data = { ...data, topic, traceId, spanId };
  }

  private requireCaller(): RpcCaller {
    if (this.#caller === undefined) {
      throw new ConfigError("this Session has no RPC caller: it was not received as a handler argument");
    }
    return this.#caller;
  }

  private call(fn: string, rest: readonly unknown[]): Promise<unknown> {
    return this.requireCaller().call(this.#data.serverId, fn, [this.traceSpan(), this.#data.sessionId, ...rest]);
  }
}

/** A gate reply that carries a session: a Session (gate serializer registered) or its raw bytes. */
function sessionDataOf(value: unknown): SessionData | undefined {
  if (value instanceof Session) return value.toData();
  if (value instanceof Uint8Array) return decodeSessionData(value);
  return undefined;
}

/** The `SESSION` argument codec for generated code (first parameter of every gate-facing handler). */
export const sessionCodec: ValueCodec<Session> = {
  tag: SESSION_TAG,
  encode(value) {
    return encodeSessionData(value.toData());
  },
  decode(bytes, tag) {
    if (tag === "null") return new Session();
    return new Session(decodeSessionData(bytes));
  },
  clone: (value) => new Session(value.toData()),
};

/** mqant's "gate" RPCSerialize: lets untyped calls and handlers carry Session values as `SESSION`. */
export const gateSerializer: ArgSerializer = {
  name: "gate",
  tags: [SESSION_TAG],
  serialize(value) {
    if (value instanceof Session) return { tag: SESSION_TAG, bytes: encodeSessionData(value.toData()) };
    return undefined;
  },
  deserialize(_tag, bytes) {
    return new Session(decodeSessionData(bytes));
  },
};

interface SerializerHost {
  addSerializer(serializer: ArgSerializer): void;
}

const appsWithGateSerializer = new WeakSet<object>();

/**
 * Registers the gate serializer on an app once. The Gate module does it for its app; a backend-only process
 * with untyped `HD_` handlers calls it itself (typed handlers decode the session with sessionCodec, and the
 * Session registers it on first use for the sessions the gate sends back).
 */
export function ensureGateSerializer(app: SerializerHost): void {
  if (appsWithGateSerializer.has(app)) return;
  appsWithGateSerializer.add(app);
  app.addSerializer(gateSerializer);
}

/** Gate side: the bytes of a session argument. */
export function encodeGateSession(data: SessionData): Uint8Array {
  return encodeSessionData(data);
}
