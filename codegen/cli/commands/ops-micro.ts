/** `$SRV` queries with nats.js' own service client, reduced to what the ops commands show. */
import { ErrorCode, NatsError, RequestStrategy, type NatsConnection, type ServiceInfo, type ServiceStats } from "nats";

export interface MicroEndpointView {
  readonly name: string;
  /** The mqant wire name (endpoint metadata `mqant.handler`), else the endpoint name. */
  readonly handler: string;
  readonly requests: number;
  readonly errors: number;
  readonly lastError: string;
  /** Total and average processing time, ms. */
  readonly totalMs: number;
  readonly averageMs: number;
}

export interface MicroNodeView {
  readonly name: string;
  readonly module: string;
  /** The mqgen node id (`type@id`) when the service says it, else `name@id`. */
  readonly nodeId: string;
  readonly version: string;
  readonly started: string | null;
  readonly handlers: readonly string[];
  readonly endpoints: readonly MicroEndpointView[];
}

async function gather<T>(iter: Promise<AsyncIterable<T>>): Promise<T[]> {
  const out: T[] = [];
  try {
    for await (const item of await iter) out.push(item);
  } catch (err) {
    // No service subscribed to $SRV at all: nats-server answers "no responders", which here means none.
    if (err instanceof NatsError && err.code === ErrorCode.NoResponders) return out;
    throw err;
  }
  return out;
}

function client(nc: NatsConnection, maxWaitMs: number) {
  // Jitter: stop shortly after the last answer instead of always waiting maxWait.
  return nc.services.client({ strategy: RequestStrategy.JitterTimer, maxWait: maxWaitMs, jitter: 300 } as Parameters<typeof nc.services.client>[0]);
}

function nodeIdOf(s: { name: string; id: string; metadata?: Record<string, string> }): string {
  return s.metadata?.["mqgen.node"] ?? `${s.name}@${s.id}`;
}

export async function microInfos(nc: NatsConnection, name?: string, maxWaitMs = 1500): Promise<MicroNodeView[]> {
  const infos = await gather<ServiceInfo>(client(nc, maxWaitMs).info(name ?? ""));
  return infos.map((i) => ({
    name: i.name,
    module: i.metadata?.["mqgen.module"] ?? i.name,
    nodeId: nodeIdOf(i),
    version: i.version,
    started: null,
    handlers: i.endpoints.map((e) => e.metadata?.["mqant.handler"] ?? e.name).sort(),
    endpoints: [],
  }));
}

export async function microStats(nc: NatsConnection, name?: string, maxWaitMs = 1500): Promise<MicroNodeView[]> {
  const stats = await gather<ServiceStats>(client(nc, maxWaitMs).stats(name ?? ""));
  const infos = new Map((await microInfos(nc, name, maxWaitMs)).map((i) => [i.nodeId, i]));
  return stats.map((s) => {
    const nodeId = nodeIdOf(s);
    const info = infos.get(nodeId);
    const endpoints = (s.endpoints ?? []).map((e): MicroEndpointView => {
      // mqgen nodes put the exact wire name in the endpoint's data; otherwise match the mapped name.
      const data = (e as { data?: { handler?: unknown } }).data;
      const handler = typeof data?.handler === "string" ? data.handler : (info?.handlers.find((h) => h.replace(/^\/+/, "").replace(/[^-\w]/g, "_") === e.name) ?? e.name);
      return {
        name: e.name,
        handler,
        requests: e.num_requests,
        errors: e.num_errors,
        lastError: e.last_error ?? "",
        totalMs: e.processing_time / 1e6,
        averageMs: e.average_processing_time / 1e6,
      };
    });
    return {
      name: s.name,
      module: s.metadata?.["mqgen.module"] ?? s.name,
      nodeId,
      version: s.version,
      started: s.started,
      handlers: endpoints.map((e) => e.handler),
      endpoints,
    };
  });
}
