/**
 * mqgen is ESM-only; use import / "type": "module". Requiring it from CommonJS throws ERR_MQGEN_ESM_ONLY at
 * run time; from an ES module, `import ... from "mqgen/runtime"` resolves to the real declarations.
 */
declare const mqgenIsEsmOnly: never;
export = mqgenIsEsmOnly;
