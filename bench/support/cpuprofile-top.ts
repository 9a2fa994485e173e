/**
 * `node --import tsx bench/support/cpuprofile-top.ts <file.cpuprofile> [n]`: self time per function, the
 * quickest way to name the hot spots behind a missed benchmark goal.
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const [file = "", countText = "30"] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<string, number>();
let totalUs = 0;
profile.samples.forEach((id, i) => {
  const node = byId.get(id);
  const delta = profile.timeDeltas[i] ?? 0;
  totalUs += delta;
  if (node === undefined) return;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^file:\/\/.*?\/(node_modules|runtime|bench|generated|test)\//, "$1/");
  const key = `${functionName || "(anonymous)"}  ${where}:${lineNumber + 1}`;
  selfUs.set(key, (selfUs.get(key) ?? 0) + delta);
});
const top = [...selfUs.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(countText));
for (const [key, us] of top) console.log(`${((100 * us) / totalUs).toFixed(1).padStart(5)}%  ${key}`);
