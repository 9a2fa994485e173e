/**
 * mqtt-packet's own 60 parse-error fixtures (frozen in test/fixtures/gate) sent to the gate: every complete
 * malformed MQTT 3.1.1 packet closes its connection without an answer, and the gate keeps serving others.
 * Fixtures that are errors only under MQTT 5 parsing (the gate refuses MQTT 5 at CONNECT) and truncated
 * frames (the gate waits for the rest, bounded by the timers) only have to leave the gate healthy.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { readFixedHeader } from "../../runtime/internal.js";
import { CONNACK_OK_HEX, CONNECT_HEX, RawClient, connectMqtt, nextMessage, startGateApp, type GateHarness } from "./support.js";

interface ParseErrorVector {
  readonly error: string;
  readonly hex: string;
  readonly opts: { readonly protocolVersion?: number };
}

const { vectors } = JSON.parse(readFileSync(new URL("../fixtures/gate/mqtt-packet-parse-errors.json", import.meta.url), "utf8")) as {
  vectors: ParseErrorVector[];
};

let harness: GateHarness;

before(async () => {
  harness = await startGateApp({ connectTimeoutMs: 2_000 });
});

after(async () => {
  await harness.stop();
});

function isCompleteFrame(bytes: Buffer): boolean {
  const header = readFixedHeader(bytes, 0);
  if (header.state === "malformed") return true;
  if (header.state === "incomplete") return false;
  return header.remainingLength > harness.gate.server.options.maxPackSize || bytes.length >= header.headerLength + header.remainingLength;
}

test("there are 60 fixtures, 44 of them complete MQTT 3.1.1 frames that must close the connection", () => {
  assert.equal(vectors.length, 60);
  const mustClose = vectors.filter((v) => v.opts.protocolVersion !== 5 && isCompleteFrame(Buffer.from(v.hex, "hex")));
  assert.equal(mustClose.length, 44);
});

vectors.forEach((vector, index) => {
  test(`#${index} ${vector.error}${vector.opts.protocolVersion === 5 ? " (MQTT 5 parsing)" : ""}`, async () => {
    const bytes = Buffer.from(vector.hex, "hex");
    const client = await RawClient.connect(harness.tcpPort);
    let offset = 0;
    const isConnect = bytes[0] >> 4 === 1;
    if (!isConnect) {
      client.write(CONNECT_HEX);
      assert.equal((await client.waitForBytes(4)).subarray(0, 4).toString("hex"), CONNACK_OK_HEX);
      offset = 4;
    }
    client.write(bytes);
    const mustClose = vector.opts.protocolVersion !== 5 && isCompleteFrame(bytes);
    const closed = await client.waitForClose(mustClose ? 3_000 : 100);
    if (mustClose) {
      assert.equal(closed, true, "the connection is closed");
      const answer = client.bytes.subarray(offset).toString("hex");
      // A CONNECT that parses but asks for MQTT 5 gets the 3.1.1 refusal; nothing else is answered.
      assert.ok(answer === "" || answer === "20020001", `unexpected answer ${answer}`);
    }
    client.destroy();
  });
});

test("after all of them the gate still serves a well-behaved client", async () => {
  const client = await connectMqtt(`mqtt://127.0.0.1:${harness.tcpPort}`);
  try {
    const reply = nextMessage(client, "helloworld/HD_say/1");
    await client.publishAsync("helloworld/HD_say/1", JSON.stringify({ name: "still here" }));
    assert.equal((JSON.parse(await reply) as { Result: string }).Result, "hi still here, you are u1 via tcp");
  } finally {
    await client.endAsync();
  }
});
