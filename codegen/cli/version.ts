/** mqgen's own package.json, found from the sources (codegen/cli) or from a build (dist/codegen/cli). */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface OwnPackage {
  readonly name: string;
  readonly version: string;
  readonly devDependencies: Readonly<Record<string, string>>;
}

let cached: OwnPackage | undefined;

export function ownPackage(): OwnPackage {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate)) {
      const json = JSON.parse(readFileSync(candidate, "utf8")) as Partial<OwnPackage>;
      if (json.name === "mqgen" && typeof json.version === "string") {
        cached = { name: json.name, version: json.version, devDependencies: json.devDependencies ?? {} };
        return cached;
      }
    }
    dir = dirname(dir);
  }
  throw new Error("mqgen's package.json not found above the CLI");
}
