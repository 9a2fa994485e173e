/**
 * Intentional breaks are allowed next to the change, with a reason a reviewer can read:
 *   YAML:  `# mqgen:allow FIELD_NO_DELETE reason: nobody sends v1 requests since 2024-03`
 *   proto: `// mqgen:allow FIELD_NO_DELETE, FIELD_NAME_NO_DELETE reason: ...`
 * A comment applies to violations reported on its own line (a trailing comment) or, when it stands on its
 * own line, on the first line of code below its comment block. An allow without a reason, or naming an
 * unknown rule, allows nothing and is itself reported.
 */
import type { SourcePos } from "../model.js";
import type { Violation } from "./compare.js";
export interface SourceText {
  readonly path: string;
  readonly text: string;
}
import type { RuleId } from "./rules.js";
import { RULES, isRuleId } from "./rules.js";

const ALLOW = /(#|\/\/)\s*mqgen:allow\b(.*)$/;

export interface AllowComments {
  /** `file:line` → rules allowed there. */
  readonly allowed: ReadonlyMap<string, ReadonlySet<RuleId>>;
  readonly problems: readonly Violation[];
}

export function readAllowComments(sources: readonly SourceText[]): AllowComments {
  const allowed = new Map<string, Set<RuleId>>();
  const problems: Violation[] = [];
  for (const source of sources) {
    const lines = source.text.split(/\r?\n/);
    const commentMarker = source.path.endsWith(".proto") ? "//" : "#";
    const isCommentOnly = (line: string): boolean => line.trim().startsWith(commentMarker);
    lines.forEach((line, index) => {
      const match = ALLOW.exec(line);
      if (!match || match[1] !== commentMarker) return;
      const pos: SourcePos = { file: source.path, line: index + 1, col: (match.index ?? 0) + 1 };
      const body = match[2] ?? "";
      const reasonAt = body.search(/\breason:/);
      const idsText = reasonAt >= 0 ? body.slice(0, reasonAt) : body;
      const reason = reasonAt >= 0 ? body.slice(reasonAt + "reason:".length).trim() : "";
      const ids = idsText.split(/[\s,]+/).filter((id) => id !== "");
      const valid: RuleId[] = [];
      for (const id of ids) {
        if (isRuleId(id)) valid.push(id);
        else problems.push(problem("ALLOW_UNKNOWN_RULE", pos, `mqgen:allow names unknown rule '${id}'`));
      }
      if (ids.length === 0) {
        problems.push(problem("ALLOW_UNKNOWN_RULE", pos, "mqgen:allow names no rule (mqgen:allow RULE_ID reason: why)"));
        return;
      }
      if (reason === "") {
        problems.push(problem("ALLOW_NEEDS_REASON", pos, `mqgen:allow ${ids.join(", ")} needs a reason: \`mqgen:allow ${ids.join(", ")} reason: why this break is safe\``));
        return;
      }
      let target = index;
      if (isCommentOnly(line)) {
        target = index + 1;
        while (target < lines.length && (isCommentOnly(lines[target] as string) || (lines[target] as string).trim() === "")) target++;
      }
      for (const line of new Set([index, target])) {
        const key = `${source.path}:${line + 1}`;
        const set = allowed.get(key) ?? new Set<RuleId>();
        for (const id of valid) set.add(id);
        allowed.set(key, set);
      }
    });
  }
  return { allowed, problems };
}

function problem(rule: "ALLOW_NEEDS_REASON" | "ALLOW_UNKNOWN_RULE", pos: SourcePos, message: string): Violation {
  return { rule, category: RULES[rule].category, severity: RULES[rule].severity, message, pos };
}

export function isAllowed(violation: Violation, comments: AllowComments, cliAllowed: ReadonlySet<string>): boolean {
  if (cliAllowed.has(violation.rule)) return true;
  return comments.allowed.get(`${violation.pos.file}:${violation.pos.line}`)?.has(violation.rule) ?? false;
}
