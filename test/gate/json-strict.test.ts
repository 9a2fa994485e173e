/**
 * A gate client's JSON arguments are as strict as the HTTP gateway's: a key the handler's message does not
 * have is refused with mqant's error reply naming it (and a near match), instead of running the handler on
 * an empty field. MQTT.js publishes raw JSON, in process and with the backend reached over NATS.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { MqttClient } from "mqtt";
import type { Module } from "../../runtime/index.js";
import { registerChat } from "../../generated/chat.js";
import { NatsServer } from "../support/nats-server.js";
import { connectMqtt, nextMessage, startGateApp, type GateHarness } from "./support.js";

const said: string[] = [];
const chatBackend: Module = {
  type: "chat",
  version: "1.0.0",
  onInit(ctx) {
    registerChat(ctx.server, {
      join: () => undefined,
      say: (_session, request) => {
        said.push(request.text);
        return { text: request.text, at: 1n, delivered: 1 };
      },
    });
  },
};

interface Reply {
  Trace: string;
  Error: string;
  Result: unknown;
}

async function ask(client: MqttClient, topic: string, body: string): Promise<Reply> {
  const reply = nextMessage(client, topic, 10_000);
  await client.publishAsync(topic, body);
  return JSON.parse(await reply) as Reply;
}

for (const over of ["in process", "over NATS"] as const) {
  describe(over, () => {
    let nats: NatsServer | undefined;
    let harness: GateHarness;
    let client: MqttClient;
    before(async () => {
      if (over === "over NATS") nats = await NatsServer.start({ jetstream: true });
      harness = await startGateApp({ wsAddr: undefined }, { modules: [chatBackend], ...(nats === undefined ? {} : { nats: nats.url }) });
      client = await connectMqtt(`mqtt://127.0.0.1:${harness.tcpPort}`, { clientId: `strict-${over.replace(" ", "-")}` });
    });
    after(async () => {
      await client?.endAsync();
      await harness?.stop();
      await nats?.dispose();
    });

    test("an unknown key is refused with the field named; the handler does not run", async () => {
      said.length = 0;
      const wrongCase = await ask(client, "chat/HD_say/1", '{"Text":"hello"}');
      assert.equal(wrongCase.Result, null);
      assert.match(wrongCase.Error, /unknown field "Text" \(did you mean "text"\?\); known: text/);
      const unknown = await ask(client, "chat/HD_say/2", '{"text":"hi","loud":true}');
      assert.match(unknown.Error, /unknown field "loud"; known: text/);
      assert.deepEqual(said, [], "no handler ran on a half-understood request");
      const fine = await ask(client, "chat/HD_say/3", '{"text":"hello"}');
      assert.equal(fine.Error, "");
      assert.deepEqual(fine.Result, { text: "hello", at: "1", delivered: 1 });
      assert.deepEqual(said, ["hello"]);
    });
  });
}
