/**
 * Contract ids: the handler hash a node advertises and a stub expects survives compatible changes (it is
 * carried over from the lock) and changes when `mqgen breaking`'s rules find the handler's wire contract
 * broken. Through the codegen API, `mqgen lock`, and `mqgen` / `mqgen check` with their --lock flags.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { generate } from "../../codegen/index.js";
import { lockText, parseLock } from "../../codegen/breaking/index.js";
import type { ContractSnapshot } from "../../codegen/breaking/index.js";
import { runMqgen } from "../support/cli.js";

const FIXTURES = resolve("test/fixtures/breaking/runtime");
const scratch = mkdtempSync(join(tmpdir(), "mqgen-contract-ids-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Handler wire name → hash, as the generated descriptor of `module` states them. */
function hashesOf(files: ReadonlyMap<string, string>, module = "greeter"): Record<string, string> {
  const text = files.get(`${module}.ts`);
  assert.ok(text, `${module}.ts was generated`);
  return Object.fromEntries([...text.matchAll(/wireName: "([^"]+)",[\s\S]*?hash: "(\w+)"/g)].map((m) => [m[1], m[2]]));
}

function hashes(schemaDir: string, baseline?: ContractSnapshot, module = "greeter"): Record<string, string> {
  const result = generate({ schemaDir, ...(baseline ? { baseline } : {}) });
  assert.deepEqual(result.diagnostics, []);
  return hashesOf(result.files, module);
}

function lockOf(schemaDir: string, previous?: ContractSnapshot): ContractSnapshot {
  return parseLock(lockText(schemaDir, previous), "mqgen.lock.json");
}

const cli = runMqgen;

describe("contract ids", () => {
  const v1 = join(FIXTURES, "v1");
  const v3 = join(FIXTURES, "v3");
  const v4 = join(FIXTURES, "v4");

  test("the lock records each handler's contract id; without a previous lock it is the structural hash", () => {
    const lock = lockOf(v1);
    const recorded = Object.fromEntries(lock.modules[0]?.handlers.map((h) => [h.wire, h.contract]) ?? []);
    assert.deepEqual(recorded, hashes(v1));
    assert.match(lockText(v1), /"contract": "[0-9a-f]{16}"/);
  });

  test("a compatible change keeps the id from the lock; without the lock the id would change", () => {
    const before = hashes(v1);
    const structural = hashes(v3);
    const carried = hashes(v3, lockOf(v1));
    assert.notEqual(structural["/greet"], before["/greet"], "greet's messages gained optional fields");
    assert.equal(carried["/greet"], before["/greet"]);
    assert.equal(carried["/say/hi"], before["/say/hi"], "a doc edit changes nothing");
    assert.equal(carried["/wave"], structural["/wave"], "a new handler starts with its structural hash");
  });

  test("a breaking change gives the handler a new id and leaves the others alone", () => {
    const v2 = hashes(join(FIXTURES, "v2"), lockOf(v1));
    const before = hashes(v1);
    assert.notEqual(v2["/say/hi"], before["/say/hi"]);
    assert.equal(v2["/ping"], before["/ping"]);
    assert.equal(v2["/greet"], before["/greet"]);
  });

  test("ids carry through a chain of locks until the contract breaks against the latest one", () => {
    const lock1 = lockOf(v1);
    const lock3 = lockOf(v3, lock1);
    const greet3 = lock3.modules[0]?.handlers.find((h) => h.wire === "/greet");
    assert.equal(greet3?.contract, hashes(v1)["/greet"], "the v3 lock still records build 1's id");
    const broken = hashes(v4, lock3);
    assert.notEqual(broken["/greet"], hashes(v1)["/greet"]);
    assert.equal(broken["/greet"], hashes(v4)["/greet"], "a new id is the structural hash at the break");
    assert.equal(broken["/say/hi"], hashes(v1)["/say/hi"]);
  });

  test("a field rename keeps a protobuf handler's id but breaks a gate handler's (gate arguments are JSON)", () => {
    const dir = join(scratch, "rename");
    const schema = (field: string): string => `module: shop
version: 1.0.0
handlers:
  buy:
    params:
      - order: Order
    returns: string
  order:
    gate: true
    params:
      - item: Item
    returns: string
messages:
  Order:
    fields:
      ${field}: string
  Item:
    fields:
      ${field}: string
`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "shop.yaml"), schema("sku"));
    const lock = lockOf(dir);
    const before = hashes(dir, undefined, "shop");
    writeFileSync(join(dir, "shop.yaml"), schema("code"));
    const after = hashes(dir, lock, "shop");
    assert.equal(after["/buy"], before["/buy"]);
    assert.notEqual(after["HD_order"], before["HD_order"]);
  });
});

describe("mqgen, mqgen check and mqgen lock read the lock", () => {
  test("generate keeps ids across a compatible edit, check agrees, --no-lock and a bad lock are clear", async () => {
    const dir = join(scratch, "cli");
    cpSync(join(FIXTURES, "v1"), join(dir, "schemas"), { recursive: true });
    assert.equal((await cli(["lock", "schemas"], dir)).code, 0);
    assert.equal((await cli(["schemas", "-o", "generated"], dir)).code, 0);
    const generated = (): Record<string, string> => hashesOf(new Map([["greeter.ts", readFileSync(join(dir, "generated", "greeter.ts"), "utf8")]]));
    const first = generated();

    cpSync(join(FIXTURES, "v3", "greeter.yaml"), join(dir, "schemas", "greeter.yaml"));
    assert.equal((await cli(["schemas", "-o", "generated"], dir)).code, 0);
    assert.equal(generated()["/greet"], first["/greet"]);
    assert.equal((await cli(["check", "schemas", "-o", "generated"], dir)).code, 0);
    const unlocked = await cli(["check", "schemas", "-o", "generated", "--no-lock"], dir);
    assert.equal(unlocked.code, 1, "without the lock greet's id is its structural hash, which differs");
    assert.match(unlocked.err, /changed: generated\/greeter\.ts/);

    // Re-locking after the compatible change keeps the id; the lock is then current.
    assert.equal((await cli(["lock", "schemas"], dir)).code, 0);
    assert.equal((await cli(["lock", "schemas", "--check"], dir)).code, 0);
    assert.equal((await cli(["check", "schemas", "-o", "generated"], dir)).code, 0);
    assert.match(readFileSync(join(dir, "mqgen.lock.json"), "utf8"), new RegExp(`"contract": "${first["/greet"]}"`));

    const missing = await cli(["schemas", "-o", "generated", "--lock", "nope.json"], dir);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /nope\.json: cannot read the lock file \(ENOENT\)/);
    writeFileSync(join(dir, "mqgen.lock.json"), "{ not json");
    const bad = await cli(["check", "schemas", "-o", "generated"], dir);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /mqgen\.lock\.json: not valid JSON/);
    const both = await cli(["schemas", "--lock", "a.json", "--no-lock"], dir);
    assert.equal(both.code, 1);
    assert.match(both.err, /--lock and --no-lock exclude each other/);
  });
});
