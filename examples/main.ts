/**
 * The example app: `npm start` runs every module in one process without NATS. Split it over NATS with
 * ProcessID groups:
 *
 *   node dist/examples/main.js --nats nats://127.0.0.1:4222 -pid backend
 *   node dist/examples/main.js --nats nats://127.0.0.1:4222 -pid gate
 *
 * (NATS_URL works instead of --nats.) Split processes find each other through the NATS KV registry, so the
 * nats-server needs JetStream (`nats-server -js`).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Gate, HttpGatewayModule, MetricsModule, NatsKvRegistry, OpsConsole, connectNats, createApp, type Module } from "mqgen/runtime";
import { helloworld } from "../generated/helloworld.js";
import { ResultInfo, Req, Rsp, rpctest } from "../generated/rpctest.js";
import { HelloworldModule } from "./modules/helloworld.module.js";
import { RpctestModule } from "./modules/rpctest.module.js";
import { WebModule } from "./modules/web.module.js";
import { ChatModule } from "./web-chat/chat-module.js";
import { WebChatModule } from "./web-chat/web-chat-module.js";

function natsUrl(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--nats" || arg === "-nats") return argv[i + 1];
    if (arg.startsWith("--nats=")) return arg.slice("--nats=".length);
  }
  return process.env.NATS_URL || undefined;
}

/** examples/conf/server.json, found from the source tree or from dist/examples. */
function findConfig(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, "conf", "server.json"), join(here, "..", "..", "examples", "conf", "server.json")]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

const argv = process.argv.slice(2);
const nats = natsUrl(argv);
const configPath = argv.some((a) => a === "-conf" || a.startsWith("-conf=") || a === "--conf") ? undefined : findConfig();
const web = new WebModule();
// The ops console (a live page of nodes and per-handler calls/s, errors, p50/p99) and, for processes
// without it, the Prometheus endpoint with /healthz and /readyz.
const opsConsole = new OpsConsole({ title: "example app" });
const metrics = new MetricsModule();
const modules: Module[] = [
  new HelloworldModule(),
  new RpctestModule(),
  web,
  // The MQTT gate (TCP 3563, WebSocket 3653), the chat backend and its page (8081), and the HTTP gateway
  // (8090: `curl -d '{"name":"mqant"}' http://127.0.0.1:8090/helloworld/sayHi`). Each runs only in the
  // process groups server.json lists it for.
  new Gate(),
  new ChatModule(),
  new WebChatModule(),
  new HttpGatewayModule({ descriptors: [helloworld, rpctest], messages: [Req, Rsp, ResultInfo] }),
  opsConsole,
  metrics,
];


const connection = nats === undefined ? undefined : await connectNats({ servers: nats, name: "mqgen example" });
const registerTtlMs = 20_000;
const app = createApp({
  debug: process.env.MQGEN_DEBUG !== "0",
  configPath,
  nats: connection,
  registry: connection === undefined ? undefined : new NatsKvRegistry({ connection, ttlMs: registerTtlMs }),
  registerTtlMs,
});

app.onStartup((started) => {
  const running = Object.entries(started.nodeIds);
  const lines = [
    `mqgen example app — process group "${started.processId}", ${nats === undefined ? "in process (no NATS)" : `NATS ${nats}`}`,
    ...running.map(([type, id]) => `  running ${type} as ${id}`),
  ];
  if (started.nodeIds.web !== undefined) {
    lines.push(`  try: curl '${web.url}/say?name=mqant'`);
    lines.push(`       curl '${web.url}/test/proto?message=hello'`);
    lines.push(`       curl '${web.url}/test/marshal?mid=42'`);
  }
  if (started.nodeIds.WebChat !== undefined) lines.push("  chat:  open http://127.0.0.1:8081 in two browser tabs (gate: mqtt://127.0.0.1:3563, ws://127.0.0.1:3653)");
  if (started.nodeIds.HttpGateway !== undefined) {
    lines.push(`  http:  curl -d '{"name":"mqant"}' http://127.0.0.1:8090/helloworld/sayHi`);
  }
  if (started.nodeIds.OpsConsole !== undefined) {
    lines.push(`  ops:   open ${opsConsole.url ?? "?"} (live console; also /metrics, /healthz, /readyz)`);
  }
  if (started.nodeIds.Metrics !== undefined) lines.push(`  metrics: ${metrics.url ?? "?"}/metrics (/healthz, /readyz)`);
  if (running.length === 0) lines.push("  (no module of this example is configured for this process group)");
  lines.push("  Ctrl-C stops it gracefully.");
  process.stdout.write(lines.join("\n") + "\n");
});

try {
  await app.run(modules);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await app.registry.close().catch(() => undefined);
  await connection?.close();
}
