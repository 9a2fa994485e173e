/**
 * Request/reply through the gate with MQTT.js over TCP and WebSocket, against a backend module in the same
 * app: mqant's topic grammar, reply envelope, error texts, push from a backend, and SUBACK for every QoS.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { MqttClient } from "mqtt";
import { connectMqtt, nextMessage, startGateApp, type GateHarness } from "./support.js";

let harness: GateHarness;

before(async () => {
  harness = await startGateApp();
});

after(async () => {
  await harness.stop();
});

function envelopeOf(text: string): { Trace: string; Error: string; Result: unknown } {
  return JSON.parse(text) as { Trace: string; Error: string; Result: unknown };
}

for (const transport of ["tcp", "websocket"] as const) {
  describe(`MQTT.js over ${transport}`, () => {
    let client: MqttClient;

    before(async () => {
      const url = transport === "tcp" ? `mqtt://127.0.0.1:${harness.tcpPort}` : `ws://127.0.0.1:${harness.wsPort}/mqtt`;
      client = await connectMqtt(url, { clientId: `routing-${transport}`, wsOptions: { headers: { "User-Agent": "routing-test/1.0" } } });
    });

    after(async () => {
      await client.endAsync();
    });

    test("HD_say: the push arrives first, then the reply on the same topic", async () => {
      const pushed = nextMessage(client, "/push/x");
      const reply = nextMessage(client, "helloworld/HD_say/1");
      await client.publishAsync("helloworld/HD_say/1", JSON.stringify({ name: "mqant" }));
      assert.equal(await pushed, "pushed");
      const body = envelopeOf(await reply);
      assert.equal(body.Error, "");
      assert.equal(body.Result, `hi mqant, you are u1 via ${transport}`);
      assert.match(body.Trace, /^[0-9a-f]{16}$/);
      // Go's field order, exactly.
      assert.match(await (async () => {
        const again = nextMessage(client, "helloworld/HD_say/2");
        await client.publishAsync("helloworld/HD_say/2", JSON.stringify({ name: "x" }));
        return again;
      })(), /^\{"Trace":"[0-9a-f]{16}","Error":"","Result":"hi x, you are u1 via /);
    });

    test("the backend receives SESSION and map, with the publish topic and the connection's network", async () => {
      const reply = nextMessage(client, "helloworld/HD_say/3");
      await client.publishAsync("helloworld/HD_say/3", JSON.stringify({ name: "who" }));
      await reply;
      const call = harness.calls.filter((c) => c.handler === "HD_say").at(-1);
      assert.ok(call);
      assert.equal(call.session.topic, "helloworld/HD_say/3");
      assert.equal(call.session.network, transport);
      assert.equal(call.session.serverId, harness.app.nodeIds["Gate"]);
      assert.deepEqual(call.payload, { name: "who" });
      if (transport === "tcp") assert.match(call.session.ip, /^127\.0\.0\.1:\d+$/);
      else {
        assert.equal(call.session.ip, "127.0.0.1");
        assert.equal(call.session.get("User-Agent"), "routing-test/1.0");
      }
    });

    test("a payload that is not a JSON object arrives as bytes; a []byte result is base64", async () => {
      const reply = nextMessage(client, "helloworld/HD_raw/4");
      await client.publishAsync("helloworld/HD_raw/4", "raw-bytes");
      assert.equal(await reply, `{"Trace":"${envelopeOf(await replyTrace(client)).Trace}","Error":"","Result":"cmF3OnJhdy1ieXRlcw=="}`);
    });

    test("a ProtocolMarshal result is published as is, without the envelope", async () => {
      const reply = new Promise<Buffer>((resolve) => {
        const onMessage = (topic: string, payload: Buffer): void => {
          if (topic !== "helloworld/HD_preencoded/1") return;
          client.removeListener("message", onMessage);
          resolve(payload);
        };
        client.on("message", onMessage);
      });
      await client.publishAsync("helloworld/HD_preencoded/1", "{}");
      assert.deepEqual(await reply, Buffer.from("\u0000raw frame\u00ff"));
    });

    test("no msgid: no reply, but the handler runs (the push arrives)", async () => {
      const pushed = nextMessage(client, "/push/x");
      let replied = false;
      const onMessage = (topic: string): void => {
        if (topic === "helloworld/HD_say") replied = true;
      };
      client.on("message", onMessage);
      await client.publishAsync("helloworld/HD_say", JSON.stringify({ name: "nomsgid" }));
      assert.equal(await pushed, "pushed");
      await new Promise((r) => setTimeout(r, 100));
      client.removeListener("message", onMessage);
      assert.equal(replied, false);
    });

    test("mqant's error texts", async () => {
      const cases: [string, string, string][] = [
        ["nomodule/HD_x/2", '{"name":"x"}', "Service(type:nomodule) not found"],
        ["helloworld/say/3", '{"name":"x"}', "Method(say) must begin with 'HD_'"],
        ["helloworld/HD_say/6", '{"name":bad}', "The JSON format is incorrect"],
        // Deliberate difference: mqant reports the unknown module first; mqgen checks the payload first.
        ["nomodule/HD_x/7", '{"name":bad}', "The JSON format is incorrect"],
        ["helloworld", '{"name":"x"}', "Topic must be [moduleType@moduleID]/[handler]|[moduleType@moduleID]/[handler]/[msgid]"],
        ["helloworld/HD_nope/8", '{"name":"x"}', "Remote function(HD_nope) not found"],
      ];
      for (const [topic, payload, error] of cases) {
        const reply = nextMessage(client, topic);
        await client.publishAsync(topic, payload);
        const body = envelopeOf(await reply);
        assert.equal(body.Error, error, topic);
        assert.equal(body.Result, null, topic);
      }
    });

    test("QoS 1 and QoS 2 publishes are acknowledged and routed", async () => {
      for (const qos of [1, 2] as const) {
        const topic = `helloworld/HD_say/q${qos}`;
        const reply = nextMessage(client, topic);
        await client.publishAsync(topic, JSON.stringify({ name: `qos${qos}` }), { qos });
        assert.equal(envelopeOf(await reply).Result, `hi qos${qos}, you are u1 via ${transport}`);
      }
    });

    test("SUBSCRIBE gets a SUBACK for QoS 0, 1 and 2 (mqant answers only QoS 2)", async () => {
      const granted = await client.subscribeAsync({ "sub/q0": { qos: 0 }, "sub/q1": { qos: 1 }, "sub/q2": { qos: 2 } });
      assert.deepEqual(
        granted.map((g) => [g.topic, g.qos]),
        [
          ["sub/q0", 0],
          ["sub/q1", 0],
          ["sub/q2", 0],
        ],
      );
      await client.unsubscribeAsync(["sub/q0", "sub/q1", "sub/q2"]);
    });

    test("a node id in the topic routes to that node; an unknown node id is a service not found", async () => {
      const nodeId = harness.app.nodeIds["helloworld"];
      const reply = nextMessage(client, `${nodeId}/HD_say/9`);
      await client.publishAsync(`${nodeId}/HD_say/9`, JSON.stringify({ name: "node" }));
      assert.equal(envelopeOf(await reply).Result, `hi node, you are u1 via ${transport}`);
      const missing = nextMessage(client, "helloworld@0000000000000000/HD_say/10");
      await client.publishAsync("helloworld@0000000000000000/HD_say/10", JSON.stringify({ name: "x" }));
      assert.equal(envelopeOf(await missing).Error, "Service(type:helloworld@0000000000000000) not found");
    });
  });
}

/** Any reply, to learn this connection's trace id. */
async function replyTrace(client: MqttClient): Promise<string> {
  const reply = nextMessage(client, "helloworld/HD_raw/trace");
  await client.publishAsync("helloworld/HD_raw/trace", "t");
  return reply;
}
