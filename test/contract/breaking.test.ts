/**
 * `mqgen breaking` and `mqgen lock` against a corpus of schema pairs: one pair per rule (each triggers its
 * rule exactly once, at the asserted position), one pair of safe changes (triggers nothing), and on the
 * .proto pairs `buf breaking` at WIRE_JSON as a reference: everything buf flags, mqgen flags too.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  checkBreaking,
  CONTRACT_RULES,
  formatViolation,
  lockText,
  RULES,
} from "../../codegen/breaking/index.js";
import type { RuleId } from "../../codegen/breaking/index.js";
import { loadModel } from "../../codegen/index.js";
import { snapshotFromModel } from "../../codegen/breaking/snapshot.js";
import { runMqgen } from "../support/cli.js";

const FIXTURES = resolve("test/fixtures/breaking");
const RULE_CASES = readdirSync(join(FIXTURES, "rules")).sort();
const BUF = resolve("node_modules/.bin/buf");

const scratch = mkdtempSync(join(tmpdir(), "mqgen-contract-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function caseDir(rule: string): string {
  return join(FIXTURES, "rules", rule);
}

function expectedLines(rule: string): string[] {
  return readFileSync(join(caseDir(rule), "expected.txt"), "utf8").split("\n").filter((l) => l !== "");
}

const cli = runMqgen;

describe("rule corpus", () => {
  for (const rule of RULE_CASES) {
    test(`${rule}: reported once, at the expected positions`, () => {
      const report = checkBreaking({ schemaDir: "new", against: "old", cwd: caseDir(rule) });
      const lines = report.violations.map((v) => formatViolation(v, "text"));
      assert.deepEqual(lines, expectedLines(rule));
      assert.equal(report.violations.filter((v) => v.rule === rule).length, 1, `${rule} must fire exactly once`);
      const info = RULES[rule as RuleId];
      const errors = report.violations.filter((v) => v.severity === "error");
      assert.equal(report.exitCode, errors.length > 0 ? 100 : 0);
      if (info.severity === "warning") assert.equal(report.exitCode, 0, "a warning alone does not fail the check");
    });
  }

  test("every rule has a case in the corpus", () => {
    const missing = Object.keys(RULES).filter((id) => !RULE_CASES.includes(id));
    assert.deepEqual(missing, []);
    assert.ok(CONTRACT_RULES.length >= 25);
  });

  test("docs/contract-checks.md lists every rule with its category and severity", () => {
    const docs = readFileSync("docs/contract-checks.md", "utf8");
    for (const info of Object.values(RULES)) {
      assert.ok(docs.includes(`| \`${info.id}\` | ${info.category} | ${info.severity} |`), `${info.id} missing from the rules table`);
    }
  });

  test("safe changes trigger nothing: new handler, module, optional field, enum value, push, reserved deletion", () => {
    const report = checkBreaking({ schemaDir: "new", against: "old", cwd: join(FIXTURES, "safe") });
    assert.deepEqual(report.violations.map((v) => formatViolation(v, "text")), []);
    assert.equal(report.exitCode, 0);
  });

  test("a YAML field deleted in the middle renumbers the ones after it, and the message says why", () => {
    const dir = join(scratch, "yaml-renumber");
    const message = (fields: string): string => `module: m\nhandlers:\n  get:\n    returns: Reply\nmessages:\n  Reply:\n    fields:\n${fields}`;
    mkdirSync(join(dir, "old"), { recursive: true });
    mkdirSync(join(dir, "new"), { recursive: true });
    writeFileSync(join(dir, "old", "m.yaml"), message("      text: string\n      at: int64\n      delivered: int32\n"));
    writeFileSync(join(dir, "new", "m.yaml"), message("      text: string\n      delivered: int32\n"));
    const report = checkBreaking({ schemaDir: "new", against: "old", cwd: dir });
    assert.deepEqual(report.violations.map((v) => formatViolation(v, "text")), [
      "new/m.yaml:9:7: FIELD_NO_DELETE field 'delivered' of m.Reply moved from number 3 to 2 without reserving 3; YAML numbers fields by position: give fields an explicit `no:` to keep their numbers",
      "new/m.yaml:9:7: FIELD_NUMBER_NO_REUSE field number 2 of m.Reply was 'at' (int64) and is reused by 'delivered' (int32) (YAML numbers fields by position: give fields an explicit `no:` to keep their numbers)",
    ]);
    // With explicit numbers the same deletion is only the deletion.
    writeFileSync(join(dir, "old", "m.yaml"), message("      text: string\n      at: { type: int64, no: 2 }\n      delivered: { type: int32, no: 3 }\n"));
    writeFileSync(join(dir, "new", "m.yaml"), message("      text: string\n      delivered: { type: int32, no: 3 }\n"));
    assert.deepEqual(checkBreaking({ schemaDir: "new", against: "old", cwd: dir }).violations.map((v) => v.rule), ["FIELD_NAME_NO_DELETE", "FIELD_NO_DELETE"]);
  });

  test("allow comments with a reason suppress the break next to them", () => {
    const report = checkBreaking({ schemaDir: "new", against: "old", cwd: join(FIXTURES, "allowed") });
    assert.deepEqual(report.violations, []);
    assert.deepEqual(report.allowed.map((v) => `${v.pos.file}:${v.pos.line} ${v.rule}`), [
      "new/greeter.yaml:7 HANDLER_SAME_WIRE_NAME",
      "new/store.proto:23 FIELD_SAME_TYPE",
    ]);
    assert.equal(report.exitCode, 0);
  });

  test("an allow comment does not reach other rules or other lines", () => {
    const report = checkBreaking({ schemaDir: "new", against: "old", cwd: caseDir("ALLOW_NEEDS_REASON") });
    assert.deepEqual(report.allowed, []);
    assert.ok(report.violations.some((v) => v.rule === "HANDLER_SAME_WIRE_NAME"));
  });
});

describe("lock file", () => {
  test("is deterministic and compares like the schemas it was written from", () => {
    for (const rule of RULE_CASES) {
      const dir = caseDir(rule);
      const text = lockText(join(dir, "old"));
      assert.equal(lockText(join(dir, "old")), text);
      const lockPath = join(scratch, `${rule}.lock.json`);
      writeFileSync(lockPath, text);
      const fromLock = checkBreaking({ schemaDir: "new", against: lockPath, cwd: dir });
      const fromDir = checkBreaking({ schemaDir: "new", against: "old", cwd: dir });
      assert.deepEqual(fromLock.violations.map((v) => v.rule), fromDir.violations.map((v) => v.rule), rule);
      // Positions in the new schemas do not depend on the baseline; removed things point at the old file.
      for (const [i, v] of fromLock.violations.entries()) {
        const d = fromDir.violations[i];
        if (v.pos.file.startsWith("new/")) assert.deepEqual(v.pos, d?.pos);
        else assert.equal(v.pos.file, d?.pos.file);
      }
    }
  });

  test("ignores docs, comments and declaration order", () => {
    const safe = join(FIXTURES, "safe");
    const dir = join(scratch, "reordered");
    mkdirSync(join(dir, "schemas"), { recursive: true });
    const original = readFileSync(join(safe, "old", "greeter.yaml"), "utf8");
    writeFileSync(join(dir, "schemas", "greeter.yaml"), original);
    const before = lockText(join(dir, "schemas"));
    const edited = `# top comment\n${original.replace("handlers:\n", "doc: Greets people.\nhandlers:\n")}`;
    writeFileSync(join(dir, "schemas", "greeter.yaml"), edited);
    assert.equal(lockText(join(dir, "schemas")), before);
  });

  test("mqgen lock writes the file; --check tells whether it is current", async () => {
    const dir = join(scratch, "lockcli");
    cpSync(join(caseDir("FIELD_SAME_TYPE"), "old"), join(dir, "schemas"), { recursive: true });
    const missing = await cli(["lock", "schemas", "--check"], dir);
    assert.equal(missing.code, 1);
    const written = await cli(["lock", "schemas"], dir);
    assert.equal(written.code, 0);
    assert.match(readFileSync(join(dir, "mqgen.lock.json"), "utf8"), /"store\.Item": \{/);
    assert.equal((await cli(["lock", "schemas", "--check"], dir)).code, 0);
    assert.equal((await cli(["breaking", "schemas"], dir)).code, 0);
    cpSync(join(caseDir("FIELD_SAME_TYPE"), "new"), join(dir, "schemas"), { recursive: true });
    const broken = await cli(["breaking", "schemas"], dir);
    assert.equal(broken.code, 100);
    assert.equal(broken.out, "schemas/store.proto:23:3: FIELD_SAME_TYPE field 3 'stock' of store.Item changed type from int32 to int64\n");
  });
});

test("reserved numbers and names are carried in the model from .proto statements and YAML reserved lists", () => {
  const { model, diagnostics } = loadModel({ schemaDir: "schemas", sources: [
    {
      path: "schemas/a.proto",
      text: [
        "syntax = \"proto3\";",
        "package shop;",
        "// reserved 99; in a comment does not count",
        "message Outer {",
        "  reserved 2, 9 to 11, 40 to max;",
        "  reserved \"old\", 'older';",
        "  message Inner { reserved 5; string s = 1; }",
        "  enum Kind { KIND_UNSPECIFIED = 0; reserved 7; }",
        "}",
      ].join("\n"),
    },
    { path: "schemas/b.yaml", text: "package: chat\nmessages:\n  Line:\n    reserved: [3, \"5-6\", gone]\n    fields:\n      text: string\n" },
  ] });
  assert.deepEqual(diagnostics, []);
  const reserved = Object.fromEntries(snapshotFromModel(model).messages.map((m) => [m.fullName, m.reserved]));
  assert.deepEqual(reserved, {
    "shop.Outer": { numbers: [[2, 2], [9, 11], [40, 536_870_911]], names: ["old", "older"] },
    "shop.Outer.Inner": { numbers: [[5, 5]], names: [] },
    "chat.Line": { numbers: [[3, 3], [5, 6]], names: ["gone"] },
  });
});

describe("mqgen breaking CLI", () => {
  const dir = caseDir("FIELD_SAME_NAME");

  test("text, json and github-actions output, exit 100", async () => {
    const text = await cli(["breaking", "new", "--against", "old"], dir);
    assert.equal(text.code, 100);
    assert.equal(text.out, `${expectedLines("FIELD_SAME_NAME").join("\n")}\n`);
    const json = await cli(["breaking", "new", "--against", "old", "--format", "json"], dir);
    assert.equal(json.code, 100);
    assert.deepEqual(JSON.parse(json.out.trim()), {
      path: "new/store.proto",
      start_line: 22,
      start_column: 3,
      type: "FIELD_SAME_NAME",
      category: "JSON",
      severity: "error",
      message: "field 2 of store.Item was renamed from 'title' to 'name'",
    });
    const gh = await cli(["breaking", "new", "--against", "old", "--format", "github-actions"], dir);
    assert.equal(gh.code, 100);
    assert.equal(gh.out, "::error file=new/store.proto,line=22,col=3,title=FIELD_SAME_NAME::field 2 of store.Item was renamed from 'title' to 'name'\n");
  });

  test("--allow suppresses a rule; an unknown rule id is a failure", async () => {
    const allowed = await cli(["breaking", "new", "--against", "old", "--allow", "FIELD_SAME_NAME"], dir);
    assert.equal(allowed.code, 0);
    assert.equal(allowed.out, "");
    const unknown = await cli(["breaking", "new", "--against", "old", "--allow", "NO_SUCH_RULE"], dir);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /NO_SUCH_RULE: no such rule/);
  });

  test("exit 1 when the baseline is missing or the schemas have errors", async () => {
    const missing = await cli(["breaking", "new", "--against", "nope.lock.json"], dir);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /nope\.lock\.json: no such lock file or schema folder/);
    const bad = join(scratch, "bad");
    mkdirSync(join(bad, "schemas"), { recursive: true });
    writeFileSync(join(bad, "schemas", "x.yaml"), "module: x\nhandlers:\n  a:\n    params:\n      - n: Nope\n");
    const broken = await cli(["breaking", "schemas", "--against", "schemas"], bad);
    assert.equal(broken.code, 1);
    assert.match(broken.err, /schemas\/x\.yaml:5:\d+: unknown type 'Nope'/);
  });
});

describe("git baselines", () => {
  const git = (cwd: string, ...args: string[]): string => {
    const result = spawnSync("git", args, { cwd, encoding: "utf8" });
    assert.equal(result.status, 0, `git ${args.join(" ")}: ${result.stderr}`);
    return result.stdout;
  };
  const repo = join(scratch, "repo");
  const setup = (): void => {
    mkdirSync(repo, { recursive: true });
    git(repo, "init", "-q", "-b", "main");
    git(repo, "config", "user.email", "ci@example.com");
    git(repo, "config", "user.name", "ci");
    cpSync(join(caseDir("PARAM_NO_ADD"), "old"), join(repo, "schemas"), { recursive: true });
    writeFileSync(join(repo, "mqgen.lock.json"), lockText(join(repo, "schemas")));
    git(repo, "add", ".");
    git(repo, "commit", "-q", "-m", "v1");
    cpSync(join(caseDir("PARAM_NO_ADD"), "new"), join(repo, "schemas"), { recursive: true });
    git(repo, "commit", "-q", "-am", "v2");
  };

  test("git:<ref> compares with the schema folder at that revision; git:<ref>:<lock> with a lock there", async () => {
    setup();
    const expected = expectedLines("PARAM_NO_ADD").map((l) => l.replace(/^new\//, "schemas/"));
    const atRef = await cli(["breaking", "schemas", "--against", "git:HEAD~1"], repo);
    assert.equal(atRef.code, 100);
    assert.deepEqual(atRef.out.trim().split("\n"), expected);
    const lockAtRef = await cli(["breaking", "schemas", "--against", "git:HEAD~1:mqgen.lock.json"], repo);
    assert.equal(lockAtRef.code, 100);
    assert.deepEqual(lockAtRef.out.trim().split("\n"), expected);
    assert.equal((await cli(["breaking", "schemas", "--against", "git:HEAD"], repo)).code, 0);
  });

  test("a shallow clone checks against the committed lock; an absent revision is a clear failure", async () => {
    const clone = join(scratch, "shallow");
    git(scratch, "clone", "-q", "--depth", "1", `file://${repo}`, clone);
    const withLock = await cli(["breaking", "schemas"], clone);
    assert.equal(withLock.code, 100);
    assert.match(withLock.out, /PARAM_NO_ADD param 'loud' \(bool\) was added to 'greeter\.sayHi'/);
    const noHistory = await cli(["breaking", "schemas", "--against", "git:HEAD~1"], clone);
    assert.equal(noHistory.code, 1);
    assert.match(noHistory.err, /unknown revision 'HEAD~1' \(in a shallow clone fetch it first, or compare against the committed mqgen\.lock\.json\)/);
  });
});

describe("buf breaking as the reference (.proto cases)", () => {
  /** What each buf rule seen at WIRE_JSON corresponds to in mqgen. */
  const BUF_TO_MQGEN: Record<string, readonly RuleId[]> = {
    ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED: ["ENUM_VALUE_NO_DELETE", "ENUM_VALUE_SAME_NUMBER"],
    ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED: ["ENUM_VALUE_NO_DELETE", "ENUM_VALUE_SAME_NUMBER"],
    ENUM_VALUE_SAME_NAME: ["ENUM_VALUE_SAME_NAME"],
    FIELD_NO_DELETE_UNLESS_NAME_RESERVED: ["FIELD_NAME_NO_DELETE"],
    FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED: ["FIELD_NO_DELETE"],
    RESERVED_MESSAGE_NO_DELETE: ["RESERVED_NO_DELETE", "FIELD_NUMBER_NO_REUSE"],
    FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY: ["FIELD_SAME_CARDINALITY"],
    FIELD_WIRE_JSON_COMPATIBLE_TYPE: ["FIELD_SAME_TYPE"],
    FIELD_SAME_JSON_NAME: ["FIELD_SAME_NAME"],
    FIELD_SAME_NAME: ["FIELD_SAME_NAME"],
    RPC_SAME_REQUEST_TYPE: ["PARAM_SAME_TYPE"],
    RPC_SAME_RESPONSE_TYPE: ["RESULT_SAME_TYPE"],
  };

  interface BufFinding {
    readonly path: string;
    readonly start_line: number;
    readonly end_line: number;
    readonly type: string;
  }

  function runBuf(fixture: string, category: "WIRE" | "WIRE_JSON"): { code: number; findings: BufFinding[] } {
    const work = mkdtempSync(join(scratch, "buf-"));
    for (const side of ["old", "new"]) {
      mkdirSync(join(work, side));
      for (const name of readdirSync(join(fixture, side)).filter((n) => n.endsWith(".proto"))) {
        cpSync(join(fixture, side, name), join(work, side, name));
      }
      writeFileSync(join(work, side, "buf.yaml"), `version: v2\nbreaking:\n  use:\n    - ${category}\n`);
    }
    const result = spawnSync(BUF, ["breaking", join(work, "new"), "--against", join(work, "old"), "--error-format", "json"], {
      encoding: "utf8",
    });
    assert.ok(result.status === 0 || result.status === 100, `buf failed (${result.status}): ${result.stderr}`);
    const findings = result.stdout
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as BufFinding);
    return { code: result.status as number, findings };
  }

  const protoCases = RULE_CASES.filter((rule) => readdirSync(join(caseDir(rule), "new")).some((n) => n.endsWith(".proto")));

  test("the corpus has .proto cases for the wire and JSON field, enum and rpc rules", () => {
    assert.ok(protoCases.length >= 12, `only ${protoCases.length} .proto cases`);
  });

  for (const rule of protoCases) {
    test(`${rule}: every WIRE_JSON finding of buf is flagged by mqgen on the same lines`, () => {
      const dir = caseDir(rule);
      const buf = runBuf(dir, "WIRE_JSON");
      const mqgen = checkBreaking({ schemaDir: "new", against: "old", cwd: dir });
      // Handler removal is the one break of the corpus buf does not see (asserted below).
      if (rule !== "HANDLER_NO_DELETE") assert.ok(buf.findings.length > 0, `buf found nothing in ${rule}`);
      for (const finding of buf.findings) {
        const accepted = BUF_TO_MQGEN[finding.type];
        assert.ok(accepted, `buf rule ${finding.type} has no mqgen counterpart`);
        const match = mqgen.violations.find(
          (v) => accepted.includes(v.rule) && v.pos.line >= finding.start_line && v.pos.line <= finding.end_line,
        );
        assert.ok(match, `buf ${finding.type} at lines ${finding.start_line}-${finding.end_line} is not flagged by mqgen: ${JSON.stringify(mqgen.violations)}`);
      }
      if (buf.code === 100) assert.equal(mqgen.exitCode, 100);
    });
  }

  test("handler removal passes buf at WIRE and WIRE_JSON but not mqgen", () => {
    const dir = caseDir("HANDLER_NO_DELETE");
    assert.equal(runBuf(dir, "WIRE").code, 0);
    assert.equal(runBuf(dir, "WIRE_JSON").code, 0);
    const mqgen = checkBreaking({ schemaDir: "new", against: "old", cwd: dir });
    assert.equal(mqgen.exitCode, 100);
    assert.deepEqual(mqgen.violations.map((v) => v.rule), ["HANDLER_NO_DELETE"]);
  });

  test("the safe .proto changes pass both", () => {
    const dir = join(FIXTURES, "safe");
    assert.deepEqual(runBuf(dir, "WIRE_JSON").findings, []);
    assert.equal(checkBreaking({ schemaDir: "new", against: "old", cwd: dir }).exitCode, 0);
  });
});
