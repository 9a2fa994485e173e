/**
 * The chat page: connects to the gate over WebSocket with MQTT.js's browser build and talks to the `chat`
 * module only through the generated typed client.
 */
import mqtt from "mqtt";
import { GateClient } from "mqgen/gate-client";
import { ChatGateClient } from "../../../generated/chat.gate.js";

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`missing #${id}`);
  return found as T;
}

const status = element<HTMLSpanElement>("status");
const messages = element<HTMLUListElement>("messages");
const form = element<HTMLFormElement>("say");
const input = element<HTMLInputElement>("text");
const me = element<HTMLSpanElement>("me");

function setStatus(state: "connecting" | "ready" | "error", text: string): void {
  status.dataset.state = state;
  status.textContent = text;
}

function show(from: string, text: string): void {
  const item = document.createElement("li");
  item.className = "message";
  const who = document.createElement("span");
  who.className = "from";
  who.textContent = from;
  const what = document.createElement("span");
  what.className = "text";
  what.textContent = text;
  item.append(who, what);
  messages.append(item);
}

async function main(): Promise<void> {
  const config = (await (await fetch("/config.json")).json()) as { gateUrl: string };
  const params = new URLSearchParams(location.search);
  const room = params.get("room") ?? "lobby";
  const client = await mqtt.connectAsync(config.gateUrl, {
    clientId: `web-${crypto.randomUUID().slice(0, 8)}`,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
  });
  const chat = new ChatGateClient(new GateClient(client, { timeoutMs: 10_000 }));
  chat.onMessage((line) => show(line.from, line.text));
  await chat.join({ room });
  me.textContent = `${client.options.clientId ?? "?"} in ${room}`;
  client.on("close", () => setStatus("error", "disconnected"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (text.trim() === "") return;
    input.value = "";
    chat.say({ text }).catch((err: unknown) => setStatus("error", `say failed: ${String(err)}`));
  });
  setStatus("ready", "connected");
}

main().catch((err: unknown) => setStatus("error", `failed: ${err instanceof Error ? err.message : String(err)}`));
