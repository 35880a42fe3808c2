/**
 * Wire protocol version. Changes are additive: a client that speaks version N talks to a daemon
 * of version ≥ N. The number travels in the WebSocket handshake and in `GET /v1/health`.
 */
export const PROTOCOL_VERSION = 1;

/** Trace-file schema version written by this build. Readers of N+1 ship before writers of N+1. */
export const TRACE_SCHEMA_VERSION = 1;
