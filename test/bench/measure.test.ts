/**
 * The benchmark harness's own logic: statistics, goal verdicts and the corpus it feeds the generators. The
 * benchmarks themselves are never timed in tests.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate } from "../../codegen/index.js";
import { makeCorpus } from "../../bench/codegen/make-corpus.js";
import { formatTable, judge, median, percentile, runLoad } from "../../bench/support/measure.js";

test("median ignores non-finite values and averages the middle pair", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([Number.NaN, 5, Number.POSITIVE_INFINITY, 7]), 6);
  assert.ok(Number.isNaN(median([])));
});

test("percentile picks the nearest rank", () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 0.5), 50);
  assert.equal(percentile(sorted, 0.99), 99);
  assert.equal(percentile([7], 0.99), 7);
});

test("judge: ratios against targets, and a missing side is NOT MEASURED rather than a pass", () => {
  assert.equal(judge("g", 150, 100, "atLeast", 1.5).status, "PASS");
  assert.equal(judge("g", 149, 100, "atLeast", 1.5).status, "MISS");
  assert.equal(judge("g", 110, 100, "atMost", 1.1).status, "PASS");
  assert.equal(judge("g", 111, 100, "atMost", 1.1).status, "MISS");
  assert.equal(judge("g", Number.NaN, 100, "atLeast", 1).status, "NOT MEASURED");
  assert.equal(judge("g", 100, Number.NaN, "atMost", 1).status, "NOT MEASURED");
  assert.equal(judge("g", 3, 2, "atLeast", 1, "why").note, "why");
});

test("runLoad runs the serial and the concurrent phase and keeps the concurrency it was given", async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  const call = async (): Promise<void> => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    inFlight--;
  };
  const result = await runLoad(call, { warmupMs: 10, serialMs: 30, loadMs: 30, concurrency: 8 });
  assert.equal(maxInFlight, 8);
  assert.ok(result.serialPerSec > 0 && result.concurrentPerSec > 0);
  assert.ok(result.p50Us > 0 && result.p99Us >= result.p50Us);
});

test("formatTable pads columns to the widest cell, numbers right-aligned", () => {
  const lines = formatTable(["name", "n"], [["a", "1"], ["long name", "22"]]).split("\n");
  assert.deepEqual(lines, ["name        n", "---------  --", "a           1", "long name  22"]);
});

test("the codegen corpus is valid input for mqgen in both variants, with the same modules", () => {
  const dir = mkdtempSync(join(tmpdir(), "mqgen-corpus-"));
  try {
    const corpus = makeCorpus(dir, { modules: 3, handlers: 4 });
    assert.equal(readdirSync(corpus.protoDir).length, 3);
    assert.equal(readdirSync(corpus.yamlDir).length, 3);
    const proto = generate({ schemaDir: corpus.protoDir });
    const yaml = generate({ schemaDir: corpus.yamlDir });
    assert.deepEqual(proto.diagnostics, []);
    assert.deepEqual(yaml.diagnostics, []);
    const handlers = (model: typeof proto.model): string[] =>
      model.modules.flatMap((m) => m.handlers.map((h) => `${m.type}.${h.method}`)).sort();
    assert.equal(handlers(proto.model).length, 12);
    assert.deepEqual(handlers(proto.model), handlers(yaml.model));
    assert.deepEqual([...proto.files.keys()].sort(), [...yaml.files.keys()].sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
