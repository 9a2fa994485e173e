// What `require("mqgen/...")` resolves to. mqgen is published as ES modules only (top-level await in apps,
// `import.meta` in the CLI), so a CommonJS caller gets this message instead of ERR_PACKAGE_PATH_NOT_EXPORTED.
"use strict";
const error = new Error(
  'mqgen is ESM-only; use import / "type": "module": load it with `import { createApp } from "mqgen/runtime"` ' +
    'from an ES module (a .mjs/.mts file, or a package.json with "type": "module"), or with ' +
    '`await import("mqgen/runtime")` from CommonJS.',
);
error.code = "ERR_MQGEN_ESM_ONLY";
throw error;
