/** Every bench:rpc scenario: how to start its server process (if any) and its client. */
import {
  startMoleculerClient,
  startMoleculerLocal,
  startMoleculerServer,
  startRawRequestClient,
  startRawServer,
  startRawSharedReplyClient,
  type Client,
  type StopServer,
} from "./peers.js";
import { startMqgenClient, startMqgenLocal, startMqgenServer } from "./mqgen.js";
import { noMiddlewareRuntime } from "./no-middleware.js";
import { opsClient, opsLocal, opsServer } from "./ops.js";

export interface Scenario {
  readonly name: string;
  readonly label: string;
  /** Absent for in-process scenarios. */
  readonly startServer?: (natsUrl: string) => Promise<StopServer>;
  readonly startClient: (natsUrl: string) => Promise<Client>;
  /** The nats-server needs JetStream (mqgen's NATS KV registry). */
  readonly jetstream?: boolean;
}

export const scenarios: readonly Scenario[] = [
  { name: "raw-request", label: "raw nats.js request()", startServer: startRawServer, startClient: startRawRequestClient },
  {
    name: "raw-shared-reply",
    label: "raw nats.js shared reply subject",
    startServer: startRawServer,
    startClient: startRawSharedReplyClient,
  },
  {
    name: "moleculer-nats",
    label: "Moleculer 0.15 over NATS",
    startServer: startMoleculerServer,
    startClient: startMoleculerClient,
  },
  {
    name: "mqgen-nats",
    label: "mqgen over NATS",
    startServer: startMqgenServer,
    startClient: startMqgenClient,
    jetstream: true,
  },
  {
    name: "mqgen-nats-middleware",
    label: "mqgen over NATS, a pass-through middleware on both sides",
    startServer: (url) => startMqgenServer(url, true),
    startClient: (url) => startMqgenClient(url, true),
    jetstream: true,
  },
  {
    // The ≤ 2 % goal's baseline: this tree with the middleware layer cut out (no-middleware.ts).
    name: "mqgen-nats-no-layer",
    label: "mqgen over NATS without the middleware layer",
    startServer: async (url) => startMqgenServer(url, false, await noMiddlewareRuntime()),
    startClient: async (url) => startMqgenClient(url, false, await noMiddlewareRuntime()),
    jetstream: true,
  },
  { name: "moleculer-local", label: "Moleculer 0.15 local (in process)", startClient: () => startMoleculerLocal() },
  { name: "mqgen-local", label: "mqgen in process", startClient: () => startMqgenLocal() },
  { name: "mqgen-local-no-layer", label: "mqgen in process without the middleware layer", startClient: async () => startMqgenLocal(await noMiddlewareRuntime()) },
  // Operations (docs/operations.md): tracing with a real SDK against mqgen with tracing and metrics off. The
  // ≤ 5% goals of tracing with no SDK and of metrics are judged by the interleaved A/B (ops-ab.ts) instead,
  // which a loaded machine disturbs far less than separate processes measured one after another.
  { name: "mqgen-nats-ops-off", label: "mqgen over NATS, tracing and metrics off", startServer: opsServer("off"), startClient: opsClient("off"), jetstream: true },
  { name: "mqgen-nats-otel-sdk", label: "mqgen over NATS, tracing with the OTel SDK", startServer: opsServer("sdk"), startClient: opsClient("sdk"), jetstream: true },
  { name: "mqgen-local-ops-off", label: "mqgen in process, tracing and metrics off", startClient: opsLocal("off") },
  { name: "mqgen-local-otel-sdk", label: "mqgen in process, tracing with the OTel SDK", startClient: opsLocal("sdk") },
];

/** Not run by bench:rpc, for profile.ts: one operations mode in a process of its own. */
const profileOnly: readonly Scenario[] = [
  { name: "mqgen-nats-tracing", label: "mqgen over NATS, tracing on (no SDK)", startServer: opsServer("tracing"), startClient: opsClient("tracing"), jetstream: true },
  { name: "mqgen-nats-metrics", label: "mqgen over NATS, metrics on", startServer: opsServer("metrics"), startClient: opsClient("metrics"), jetstream: true },
  { name: "mqgen-local-tracing", label: "mqgen in process, tracing on (no SDK)", startClient: opsLocal("tracing") },
  { name: "mqgen-local-metrics", label: "mqgen in process, metrics on", startClient: opsLocal("metrics") },
];

export function scenarioNamed(name: string): Scenario {
  const scenario = [...scenarios, ...profileOnly].find((s) => s.name === name);
  if (scenario === undefined) throw new Error(`unknown rpc scenario ${name}`);
  return scenario;
}
