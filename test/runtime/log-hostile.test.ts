/**
 * Logs under hostile input: text from the network never starts a log line of its own (message, fields,
 * error messages; also end to end, garbage sent to a node's NATS subject), and repeated bad input is
 * logged once per interval with a count.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect, type NatsConnection } from "nats";
import { MemoryRegistry, createApp, createLogger, escapeLogText, repeatedLog } from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { echoModule } from "../discovery/echo-module.js";

const LINE_START = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[/;
const FORGED = "2026-01-01T00:00:00.000Z [-] [-] [development] [E] forged";

function capture() {
  const lines: string[] = [];
  let text = "";
  return {
    console: {
      write(chunk: string) {
        text += chunk;
        lines.push(...chunk.split("\n").filter((l) => l !== ""));
      },
    },
    lines,
    get text() {
      return text;
    },
  };
}

/** Every physical line is a record of ours, an error's first line, or a real stack frame. */
function assertNoForgedLines(lines: readonly string[]): void {
  for (const line of lines) {
    assert.ok(LINE_START.test(line) || /^ {4}\S/.test(line) || /^\w*(Error|Exception)\b/.test(line), `unexpected line start: ${JSON.stringify(line)}`);
    assert.ok(!line.startsWith(FORGED), `forged line: ${JSON.stringify(line)}`);
  }
}

describe("text logs escape untrusted text", () => {
  it("message, fields and error messages cannot start a new line", () => {
    const out = capture();
    const log = createLogger({ debug: true, processId: "development", logDir: undefined, config: { json: false, console: true, file: undefined }, console: out.console });
    log.logger.warn({ subject: `a\n${FORGED}`, preview: "x\r\u2028y\u001b[2J" }, `bad request\r\n${FORGED}`);
    const err = new Error(`peer said\n${FORGED}`);
    log.logger.error({ err }, "call failed");
    log.close();
    assertNoForgedLines(out.lines);
    assert.equal(out.lines.filter((l) => LINE_START.test(l)).length, 2, "two records, two record lines");
    assert.match(out.text, /bad request\\r\\n2026-01-01T00:00:00\.000Z/);
    assert.match(out.text, /subject=a\\n2026/);
    assert.match(out.text, /preview=x\\r\\u2028y\\u001b\[2J/);
    assert.match(out.text, /Error: peer said\\n2026-01-01T00:00:00\.000Z \[-\] \[-\] \[development\] \[E\] forged\n {4}at /, "the stack keeps its frames");
  });

  it("escapeLogText is reversible and leaves plain text alone", () => {
    const plain = "rpc: request /say/hi on helloworld@1 dropped";
    assert.equal(escapeLogText(plain), plain);
    assert.equal(escapeLogText("a\\nb\nc"), "a\\\\nb\\nc", "a literal backslash-n stays distinguishable from a new line");
    assert.equal(escapeLogText("\u0000\u007f\u0085"), "\\u0000\\u007f\\u0085");
  });
});

describe("garbage on a node's subject (real nats-server)", () => {
  let server: NatsServer;
  let nc: NatsConnection;
  before(async () => {
    server = await NatsServer.start();
    nc = await connect({ servers: server.url });
  });
  after(async () => {
    await nc.close();
    await server.dispose();
  });

  it("leaves no line the sender wrote in the node's text log", async () => {
    const out = capture();
    // A memory registry: this nats-server has no JetStream, which the default NATS KV registry needs.
    const app = createApp({ parseFlags: false, debug: true, console: out.console, nats: { servers: server.url }, registry: new MemoryRegistry(), config: { Module: { echo: [{ Id: "echo", ProcessID: "development" }] }, Rpc: {} } });
    await app.start([
      {
        type: "echo",
        version: "1.0.0",
        onInit(ctx) {
          ctx.server.registerHandler(echoModule, echoModule.handlers.who!, async () => ctx.nodeId);
        },
      },
    ]);
    try {
      const [node] = await app.getServersByType("echo");
      assert.ok(node !== undefined);
      const payloads = [`\n${FORGED}\n`, `\u0012\u0004junk\r\n${FORGED}`, `${"\n".repeat(40)}${FORGED}`];
      for (const payload of payloads) nc.publish(node.address, new TextEncoder().encode(payload));
      await nc.flush();
      // The node keeps serving: a real call after the garbage is answered.
      assert.equal(await app.callHandler(echoModule, echoModule.handlers.who!, [0], { timeout: 2000 }), node.id);
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await app.stop();
    }
    assertNoForgedLines(out.lines);
  });
});

describe("repeatedLog", () => {
  it("logs a flood of one kind of bad input as one line now and one line with the count per interval", async () => {
    const out = capture();
    const log = createLogger({ debug: true, processId: "development", logDir: undefined, config: { json: false, console: true, file: undefined }, console: out.console });
    const dropped = repeatedLog(log.logger, { intervalMs: 200 });
    for (let i = 0; i < 20_000; i++) dropped.warn("undecodable", "rpc: undecodable request dropped", { bytes: i });
    assert.equal(out.lines.length, 1, "only the first report is logged at once");
    assert.match(out.lines[0]!, /\[W\] rpc: undecodable request dropped bytes=0$/);
    await new Promise((r) => setTimeout(r, 1300));
    assert.equal(out.lines.length, 2);
    assert.match(out.lines[1]!, /\[W\] rpc: undecodable request dropped \(19,999 more in the last 1 s\) bytes=19999$/);
    // A new window after a quiet interval starts with a line of its own again.
    dropped.warn("undecodable", "rpc: undecodable request dropped", { bytes: 1 });
    assert.equal(out.lines.length, 3);
    dropped.close();
    log.close();
  });

  it("tracks a bounded number of kinds; the rest share one counted line", () => {
    const out = capture();
    const log = createLogger({ debug: true, processId: "development", logDir: undefined, config: { json: false, console: true, file: undefined }, console: out.console });
    const bad = repeatedLog(log.logger, { intervalMs: 60_000, maxKeys: 4 });
    for (let i = 0; i < 1000; i++) bad.error(`kind-${i}`, `problem ${i}`);
    bad.flush();
    // Four kinds and the overflow key each log once, then the overflow's count.
    assert.equal(out.lines.length, 6, out.lines.join("\n"));
    assert.match(out.lines[5]!, /repeated problems of other kinds \(995 more/);
    bad.close();
    bad.warn("after-close", "ignored");
    assert.equal(out.lines.length, 6);
    log.close();
  });
});
