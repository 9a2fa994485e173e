// RPCInfo / ResultInfo against protobufjs compiling mqant's rpc/pb/mqant_rpc.proto, plus ids and spans.
import { test } from "node:test";
import assert from "node:assert/strict";
import protobuf from "protobufjs";
import {
  createRPCInfo,
  createResultInfo,
  decodeRPCInfo,
  decodeResultInfo,
  encodeRPCInfo,
  encodeResultInfo,
  sizeRPCInfo,
  sizeResultInfo,
  writeRPCInfo,
  writeResultInfo,
  type RPCInfo,
} from "../../runtime/internal.js";
import { cidNumber, isCid, isId16, newCid, newId16, newNodeId, parseNodeId } from "../../runtime/internal.js";
import { TraceSpan, traceCodec } from "../../runtime/internal.js";
import { BadArgumentError, ProtocolError } from "../../runtime/internal.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

const root = protobuf.parse(
  `syntax = "proto3"; package rpcpb;
   message RPCInfo { string Cid = 1; string Fn = 2; string ReplyTo = 3; string track = 4; int64 Expired = 5;
     bool Reply = 6; repeated string ArgsType = 7; repeated bytes Args = 8; string caller = 9; string hostname = 10; }
   message ResultInfo { string Cid = 1; string Error = 2; string ResultType = 4; bytes Result = 5; }`,
  { keepCase: true },
).root;
root.resolveAll();
const OracleRPCInfo = root.lookupType("rpcpb.RPCInfo");
const OracleResultInfo = root.lookupType("rpcpb.ResultInfo");

const sample: RPCInfo = {
  cid: newCid(),
  fn: "/say/hi",
  replyTo: "_INBOX.nG2hZUaDD6pK4deJoHTKgV",
  track: "t",
  expired: 1795568467730,
  reply: true,
  argsType: ["string", "null", "bytes"],
  args: [new TextEncoder().encode("héllo"), new Uint8Array(0), Uint8Array.of(0, 255)],
  caller: "vm",
  hostname: "vm",
};

test("RPCInfo encodes exactly as protobufjs does for mqant's message, empty repeated elements included", () => {
  const oracle = OracleRPCInfo.encode(
    OracleRPCInfo.fromObject({
      Cid: sample.cid, Fn: sample.fn, ReplyTo: sample.replyTo, track: sample.track, Expired: String(sample.expired),
      Reply: true, ArgsType: sample.argsType, Args: sample.args, caller: "vm", hostname: "vm",
    }),
  ).finish();
  assert.equal(hex(encodeRPCInfo(sample)), hex(oracle));
  assert.deepEqual(decodeRPCInfo(oracle), sample);
});

test("envelopes written into a larger buffer (a NATS frame) are the bytes encode gives, any Cid", () => {
  for (const cid of [sample.cid, crypto.randomUUID(), "cïd-ü", ""]) {
    const info = { ...sample, cid };
    const oracle = OracleRPCInfo.encode(
      OracleRPCInfo.fromObject({ ...(cid === "" ? {} : { Cid: cid }), Fn: info.fn, ReplyTo: info.replyTo, track: info.track, Expired: String(info.expired), Reply: true, ArgsType: info.argsType, Args: info.args, caller: "vm", hostname: "vm" }),
    ).finish();
    assert.equal(hex(encodeRPCInfo(info)), hex(oracle), cid);
    const size = sizeRPCInfo(info);
    const frame = new Uint8Array(size + 7);
    assert.equal(writeRPCInfo(info, frame, 3), 3 + size);
    assert.equal(hex(frame.subarray(3, 3 + size)), hex(oracle), cid);
    const reply = createResultInfo({ cid, error: cid === "" ? "" : "boom", resultType: "string", result: Uint8Array.of(0x78) });
    const replySize = sizeResultInfo(reply);
    const replyFrame = new Uint8Array(replySize + 2);
    assert.equal(writeResultInfo(reply, replyFrame, 1), 1 + replySize);
    assert.equal(hex(replyFrame.subarray(1, 1 + replySize)), hex(encodeResultInfo(reply)), cid);
  }
  // The write step writes what the size step measured, nothing else.
  sizeRPCInfo(sample);
  assert.throws(() => writeRPCInfo({ ...sample }, new Uint8Array(512), 0), ProtocolError);
});

test("Cids of every length decode to the string that was sent, ASCII or not", () => {
  for (let length = 0; length <= 40; length++) {
    for (const cid of ["abcdefghijklmnopqrstuvwxyz0123456789-ABCDE".slice(0, length), "é".repeat(length)]) {
      assert.equal(decodeRPCInfo(encodeRPCInfo(createRPCInfo({ cid }))).cid, cid);
      assert.equal(decodeResultInfo(encodeResultInfo(createResultInfo({ cid }))).cid, cid);
    }
  }
});

test("empty and zero RPCInfo fields are omitted", () => {
  assert.equal(encodeRPCInfo(createRPCInfo()).length, 0);
  assert.deepEqual(decodeRPCInfo(new Uint8Array(0)), createRPCInfo());
  // CallNR: no Reply, no ReplyTo.
  const nr = encodeRPCInfo(createRPCInfo({ cid: "c", fn: "f", expired: 1 }));
  assert.equal(hex(nr), "0a01631201662801");
});

test("Expired round-trips at the limits of unix ms as a number", () => {
  for (const expired of [1, Date.now(), Number.MAX_SAFE_INTEGER, -1]) {
    assert.equal(decodeRPCInfo(encodeRPCInfo(createRPCInfo({ expired }))).expired, expired);
  }
  assert.throws(() => encodeRPCInfo(createRPCInfo({ expired: 1.5 })), ProtocolError);
  const tooLarge = OracleRPCInfo.encode(OracleRPCInfo.fromObject({ Expired: "9223372036854775807" })).finish();
  assert.throws(() => decodeRPCInfo(tooLarge), (e: unknown) => e instanceof ProtocolError && /Expired 9223372036854775807/.test(e.message));
});

test("ResultInfo encodes like protobufjs; field 3 stays unused", () => {
  const result = createResultInfo({ cid: "c1", error: "boom", resultType: "string", result: Uint8Array.of(0x78) });
  const oracle = OracleResultInfo.encode(OracleResultInfo.fromObject({ Cid: "c1", Error: "boom", ResultType: "string", Result: Uint8Array.of(0x78) })).finish();
  assert.equal(hex(encodeResultInfo(result)), hex(oracle));
  assert.equal(hex(encodeResultInfo(result)), "0a0263311204626f6f6d2206737472696e672a0178");
  assert.deepEqual(decodeResultInfo(oracle), result);
  assert.equal(encodeResultInfo(createResultInfo()).length, 0);
});

test("strings are always valid UTF-8 on the wire: a lone surrogate becomes U+FFFD", () => {
  const bytes = encodeRPCInfo(createRPCInfo({ fn: "a\ud800b", caller: "😀" }));
  assert.equal(hex(bytes), "1205" + "61efbfbd62" + "4a04" + "f09f9880");
  assert.equal(decodeRPCInfo(bytes).fn, "a\ufffdb");
  assert.equal(decodeRPCInfo(bytes).caller, "😀");
});

test("unknown fields are skipped (a newer peer may add some)", () => {
  const bytes = Uint8Array.from([...encodeResultInfo(createResultInfo({ cid: "c" })), 0x1a, 0x01, 0x41, 0x30, 0x01]);
  assert.deepEqual(decodeResultInfo(bytes), createResultInfo({ cid: "c" }));
});

test("malformed envelopes are ProtocolErrors", () => {
  const good = encodeRPCInfo(sample);
  for (const bad of [
    good.subarray(0, good.length - 1),
    Uint8Array.from([0x0a, 0x05, 0x61]),
    Uint8Array.from([0x08, 0x01]), // Cid with a varint wire type
    Uint8Array.from([0x07]), // wire type 7
    Uint8Array.from([0x3a, 0x01, 0x61]), // an ArgsType without its Args entry
  ]) {
    assert.throws(() => decodeRPCInfo(bad), ProtocolError, hex(bad));
  }
  assert.throws(() => decodeResultInfo(Uint8Array.from([0x2a, 0x09, 0x00])), ProtocolError);
  assert.throws(() => encodeRPCInfo({ ...sample, args: [] }), ProtocolError);
});

test("decoded args do not alias the input buffer", () => {
  const bytes = encodeRPCInfo(sample);
  const decoded = decodeRPCInfo(bytes);
  bytes.fill(0);
  assert.deepEqual(decoded.args[2], Uint8Array.of(0, 255));
});

test("Cids are short and unique: one random prefix per process, then a base-36 counter", () => {
  const cids = Array.from({ length: 5000 }, () => newCid());
  assert.equal(new Set(cids).size, cids.length);
  const prefix = cids[0]!.slice(0, 7);
  for (const cid of cids) {
    assert.match(cid, /^[0-9a-z]{6}-[0-9a-z]+$/);
    assert.ok(isCid(cid), cid);
    assert.equal(cid.slice(0, 7), prefix);
  }
  // Counters keep counting: each Cid's number is one more than the one before it.
  const counters = cids.map((cid) => parseInt(cid.slice(7), 36));
  for (let i = 1; i < counters.length; i++) assert.equal(counters[i], counters[i - 1]! + 1);
  // Well under half a uuid's 36 characters for the first billions of calls of a process.
  assert.ok(cids.every((cid) => cid.length <= 16));
  assert.ok(!isCid(crypto.randomUUID()), "Go's uuid Cids are not mqgen's format (servers accept any Cid string)");
  assert.ok(!isCid("k3f9a2-0") && !isCid("k3f9a-1") && !isCid("K3F9A2-1"));
});

test("cidNumber gives the counter of this process's Cids and -1 for any other Cid", () => {
  const cid = newCid();
  const number = cidNumber(cid);
  assert.ok(number > 0);
  assert.equal(cidNumber(newCid()), number + 1);
  const prefix = cid.slice(0, 7);
  for (const other of [crypto.randomUUID(), "", prefix, `${prefix}01`, `${prefix}x!`, `${prefix}${"z".repeat(11)}`, `zz${cid}`]) {
    assert.equal(cidNumber(other), -1, other);
  }
});

test("node, session and trace ids have mqant's formats", () => {
  const id = newId16();
  assert.match(id, /^[0-9a-f]{16}$/);
  assert.ok(isId16(id));
  assert.ok(!isId16("ABCDEF0123456789"));
  const node = newNodeId("helloworld");
  assert.match(node, /^helloworld@[0-9a-f]{16}$/);
  assert.deepEqual(parseNodeId("Gate@a1bb7e3828834ac5"), { moduleType: "Gate", id: "a1bb7e3828834ac5" });
  assert.throws(() => parseNodeId("nohex"), (e: unknown) => e instanceof BadArgumentError && e.message === "serverID is error nohex");
});

test("trace codec: struct field order on the wire, new span on decode, rejects bad JSON", () => {
  const span = TraceSpan.create();
  assert.ok(isId16(span.Trace) && isId16(span.Span));
  const bytes = traceCodec.encode(span);
  assert.equal(new TextDecoder().decode(bytes), `{"Trace":"${span.Trace}","Span":"${span.Span}"}`);
  const next = traceCodec.decode(bytes, "trace");
  assert.equal(next.Trace, span.Trace);
  assert.notEqual(next.Span, span.Span);
  assert.deepEqual(traceCodec.clone(span), span);
  assert.throws(() => traceCodec.decode(new TextEncoder().encode("{"), "trace"), BadArgumentError);
  assert.throws(() => traceCodec.decode(new TextEncoder().encode('{"Trace":1}'), "trace"), BadArgumentError);
  assert.throws(() => traceCodec.decode(bytes, "string"), BadArgumentError);
  // A null trace argument gives the handler a fresh root span rather than nothing.
  const fresh = traceCodec.decode(new Uint8Array(0), "null");
  assert.ok(isId16(fresh.Trace) && isId16(fresh.Span));
});
