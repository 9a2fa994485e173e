// Generated code reads like hand-written code: the descriptors are typed by the handlers' signatures, so
// clients, register functions and gate clients need no `as` cast, no `<T>x` assertion and no type argument
// on callHandler. Checked on the syntax tree (comments, strings and `import { A as B }` are not casts;
// `as const` is allowed), over the example schemas and the hostile, game and kitchen-sink corpora.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ts } from "ts-morph";
import { generate } from "../../codegen/index.js";

const CORPORA = ["schemas", "test/fixtures/codegen/hostile", "test/fixtures/codegen/game", "test/fixtures/codegen/kitchen", "test/fixtures/codegen/yaml-wkt"];

/** Every cast in `text`, as `line: source of the cast`. */
function castsIn(path: string, text: string): string[] {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    const isConst = ts.isAsExpression(node) && ts.isTypeReferenceNode(node.type) && node.type.typeName.getText(file) === "const";
    if ((ts.isAsExpression(node) && !isConst) || ts.isTypeAssertionExpression(node) || ts.isSatisfiesExpression(node)) {
      found.push(`${file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1}: ${node.getText(file)}`);
    }
    if (ts.isCallExpression(node) && node.typeArguments !== undefined && /\.callHandler(NR)?$/.test(node.expression.getText(file))) {
      found.push(`${file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1}: type argument on ${node.expression.getText(file)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

test("the cast finder sees casts and nothing else", () => {
  const text = [
    'import { A as B } from "./a.js";',
    "// x as string in a comment",
    'const s = "y as z";',
    "const k = { a: 1 } as const;",
    "const c = s as string;",
    "const d = <number>(k.a);",
    "void rpc.callHandler<string>(m, h, []);",
  ].join("\n");
  assert.deepEqual(castsIn("sample.ts", text), ["5: s as string", "6: <number>(k.a)", "7: type argument on rpc.callHandler"]);
});

test("generated files contain no casts", () => {
  for (const schemaDir of CORPORA) {
    const result = generate({ schemaDir });
    assert.deepEqual(result.diagnostics, [], schemaDir);
    assert.ok(result.files.size > 0, schemaDir);
    for (const [path, text] of result.files) assert.deepEqual(castsIn(path, text), [], `${schemaDir}: ${path}`);
  }
});
