import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { inflateSync } from "node:zlib";
import {
  decodeMetadataTags,
  decodeServiceRecord,
  decodeVersionTag,
  deregisterCriticalAfterMs,
  encodeMetadataTags,
  encodeServiceRecord,
  encodeVersionTag,
  formatGoDuration,
} from "../../runtime/internal.js";
import { decodeKvToken, encodeKvToken } from "../../runtime/internal.js";

interface CapturedTag {
  readonly tag: string;
  readonly prefix: string;
  readonly decoded: string;
}

const capturedTags: CapturedTag[] = readFileSync(new URL("../fixtures/mqant-vectors/consul-http.jsonl", import.meta.url), "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .flatMap((line) => ((JSON.parse(line) as { tags_decoded?: CapturedTag[] }).tags_decoded ?? []));

describe("go-micro tag encoding (Consul tags)", () => {
  it("decodes every tag Go mqant wrote in the captured run", () => {
    assert.ok(capturedTags.length > 10);
    for (const { tag, prefix, decoded } of capturedTags) {
      if (prefix === "v-") assert.equal(decodeVersionTag([tag]), decoded);
      else assert.deepEqual(decodeMetadataTags([tag]), JSON.parse(decoded));
    }
  });

  it("our tags inflate to exactly the text Go's tags inflate to", () => {
    for (const { tag, prefix, decoded } of capturedTags) {
      const ours =
        prefix === "v-" ? encodeVersionTag(decoded) : encodeMetadataTags(JSON.parse(decoded) as Record<string, string>)[0]!;
      assert.ok(ours.startsWith(prefix));
      const inflate = (hex: string) => inflateHex(hex).toString("utf8");
      assert.equal(inflate(ours.slice(2)), inflate(tag.slice(2)), `tag ${tag}`);
    }
  });

  it("one metadata tag per pair, and a multi-tag set decodes back to the whole map", () => {
    const metadata = { hostname: "vm", pid: "42", state: "forbidden", weight: "3" };
    const tags = encodeMetadataTags(metadata);
    assert.equal(tags.length, 4);
    assert.deepEqual(decodeMetadataTags([...tags, encodeVersionTag("2.1.0")]), metadata);
    assert.equal(decodeVersionTag([...tags, encodeVersionTag("2.1.0")]), "2.1.0");
  });

  it("accepts the legacy plain t= and v= forms", () => {
    assert.deepEqual(decodeMetadataTags(['t={"state":"alive","weight":"2"}']), { state: "alive", weight: "2" });
    assert.equal(decodeVersionTag(["v=1.2.3"]), "1.2.3");
    // Like go-micro, the first tag's form decides which later metadata tags are read.
    assert.deepEqual(decodeMetadataTags(['t={"a":"1"}', ...encodeMetadataTags({ b: "2" })]), { a: "1" });
  });

  it("skips tags that do not decode instead of failing", () => {
    assert.deepEqual(decodeMetadataTags(["t-zz", "t-00", "plain", "t=not json"]), {});
    assert.equal(decodeVersionTag(["v-zz", "other"]), undefined);
  });

  it("escapes <, > and & as Go's encoding/json does", () => {
    const [tag] = encodeMetadataTags({ html: "<a&b>" });
    assert.equal(inflateHex(tag!.slice(2)).toString("utf8"), '{"html":"\\u003ca\\u0026b\\u003e"}');
    assert.deepEqual(decodeMetadataTags([tag!]), { html: "<a&b>" });
  });
});

describe("go-micro Service record (etcd and NATS KV values)", () => {
  it("writes mqant's field order, sorted metadata and nulls", () => {
    const text = encodeServiceRecord({
      name: "helloworld",
      version: "1.0.0",
      metadata: null,
      nodes: [{ id: "helloworld@466ea4e7194cc5f6", address: "_INBOX.x", port: 0, metadata: { server: "rpc", hostname: "vm", registry: "etcdv3", pid: "1" } }],
    });
    assert.equal(
      text,
      '{"name":"helloworld","version":"1.0.0","metadata":null,"endpoints":null,"nodes":[{"id":"helloworld@466ea4e7194cc5f6","address":"_INBOX.x","port":0,"metadata":{"hostname":"vm","pid":"1","registry":"etcdv3","server":"rpc"}}]}',
    );
  });

  it("reads records with missing or odd fields without throwing", () => {
    assert.equal(decodeServiceRecord("not json"), undefined);
    assert.equal(decodeServiceRecord('{"version":"1"}'), undefined);
    assert.deepEqual(decodeServiceRecord('{"name":"a","nodes":[{"id":"a@1"},{"address":"x"}]}'), {
      name: "a",
      version: "",
      metadata: null,
      nodes: [{ id: "a@1", address: "", port: 0, metadata: {} }],
    });
  });
});

describe("durations and KV keys", () => {
  it("formats Go durations as consul/api sends them", () => {
    assert.equal(formatGoDuration(20_000), "20s");
    assert.equal(formatGoDuration(deregisterCriticalAfterMs(20_000)), "1m5s");
    assert.equal(formatGoDuration(deregisterCriticalAfterMs(120_000)), "2m5s");
    assert.equal(formatGoDuration(1_500), "1.5s");
    assert.equal(formatGoDuration(500), "500ms");
    assert.equal(formatGoDuration(3_600_000), "1h0m0s");
  });

  it("KV key tokens are valid NATS KV key characters and reversible", () => {
    for (const text of ["helloworld@90c6920f8144838c", "a.b/c d", "модуль", "x=y", "Gate"]) {
      const token = encodeKvToken(text);
      assert.match(token, /^[-=\w]+$/);
      assert.equal(decodeKvToken(token), text);
    }
    assert.equal(encodeKvToken("helloworld@90c6"), "helloworld=4090c6");
  });
});

function inflateHex(hex: string): Buffer {
  return inflateSync(Buffer.from(hex, "hex"));
}
