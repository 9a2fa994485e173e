/** Operations: metrics, health, NATS service discovery (`$SRV`), the console. */
export { OpsHub, outcomeOf, type AppState, type CallOutcome, type ClientObserver, type GateGauges, type GateObserver, type HttpObserver, type LocalNode, type NatsObserver, type OpsListener, type RegistryObserver, type ServerObserver, type HandlerObserver, FALLBACK_HANDLER, UNKNOWN_HANDLER } from "../observe/hooks.js";
export { AppMetrics, appMetrics, readiness, closeReasonClass, type MetricsOptions, type Readiness } from "./metrics.js";
export { CallStats, LATENCY_BUCKETS, scrapedHistogram } from "./call-metrics.js";
export { MetricsModule, type MetricsModuleOptions } from "./module.js";
export { MicroResponder, NodeStats, EndpointStats, microName, microId, microVersion, MICRO_INFO, MICRO_PING, MICRO_STATS } from "../observe/micro.js";
export { OpsConsole, type OpsConsoleOptions, type ConsoleState, type ConsoleNode, type HandlerSeries } from "./console.js";
export { tracingActive, parseTraceparent, formatTraceparent, spanContextFromMqant, mqantTraceId } from "../observe/tracing.js";
export { traceSpanOf, type TracedSpan } from "./trace-arg.js";
