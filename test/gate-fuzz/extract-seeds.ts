/**
 * Regenerates test/fixtures/gate-fuzz/mqtt-packet-seeds.json: the valid packets of mqtt-packet's own test
 * suite (its `test.js`, MIT licence), which seed the gate fuzz test. Kept as a fixture so the fuzz corpus does
 * not change when the package is upgraded. Run: node --import tsx test/gate-fuzz/extract-seeds.ts
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import mqttPacket from "mqtt-packet";

const require = createRequire(import.meta.url);
const source = readFileSync(require.resolve("mqtt-packet/test.js"), "utf8");
const version = (JSON.parse(readFileSync(require.resolve("mqtt-packet/package.json"), "utf8")) as { version: string })
  .version;

/** Every `Buffer.from([ … ])` literal made only of numbers (comments stripped). */
function arrayLiterals(text: string): number[][] {
  const found: number[][] = [];
  const opener = /Buffer\.from\(\s*\[/g;
  let match: RegExpExecArray | null;
  while ((match = opener.exec(text)) !== null) {
    const start = match.index + match[0].length;
    const end = text.indexOf("]", start);
    if (end < 0) break;
    const body = text
      .slice(start, end)
      .replace(/\/\/[^\n]*/g, "")
      .replace(/\/\*[\s\S]*?\*\//g, "");
    const items = body.split(",").map((item) => item.trim()).filter((item) => item !== "");
    if (items.length > 0 && items.every((item) => /^\d+$/.test(item))) found.push(items.map(Number));
  }
  return found;
}

/** Parses as exactly one packet, with no error, under this protocol version. */
function parsesAsOnePacket(bytes: Buffer, protocolVersion: number): string | undefined {
  const parser = mqttPacket.parser({ protocolVersion });
  let command: string | undefined;
  let count = 0;
  let failed = false;
  parser.on("packet", (packet: { cmd: string }) => {
    count++;
    command = packet.cmd;
  });
  parser.on("error", () => {
    failed = true;
  });
  const left = parser.parse(bytes);
  return !failed && count === 1 && left === 0 ? command : undefined;
}

const seeds: { cmd: string; protocolVersion: number; hex: string }[] = [];
const seen = new Set<string>();
for (const array of arrayLiterals(source)) {
  const bytes = Buffer.from(array);
  const hex = bytes.toString("hex");
  if (seen.has(hex)) continue;
  for (const protocolVersion of [4, 5, 3]) {
    const cmd = parsesAsOnePacket(bytes, protocolVersion);
    if (cmd !== undefined) {
      seen.add(hex);
      seeds.push({ cmd, protocolVersion, hex });
      break;
    }
  }
}

const out = new URL("../fixtures/gate-fuzz/mqtt-packet-seeds.json", import.meta.url);
writeFileSync(
  out,
  `${JSON.stringify({ source: `mqtt-packet ${version} test.js (MIT)`, count: seeds.length, seeds }, null, 1)}\n`,
);
console.log(`${seeds.length} seed packets written`);
