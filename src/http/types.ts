import type { Credential, Pool } from "../core/model.ts";
import type { BodySource } from "./body.ts";

/**
 * What a host hands the app with each request (Hono's `c.env`); nothing here comes from the client.
 * The Node host adds its own request and response (`incoming` / `outgoing`) for its relay writer.
 */
export interface HostBindings {
  /** The peer's address: the socket's, or on Lambda the viewer's as CloudFront's function set it. */
  peerAddress?: string;
  /** The body and the client-gone signal, where the host has cheaper ones than the web Request's. */
  requestIo?: RequestIo;
}

/** A host's own view of one request (the Node host: its IncomingMessage and ServerResponse). */
export interface RequestIo {
  /** What `readBody` reads. */
  body(): BodySource;
  /** Aborts when the client disconnects before the response has been fully written. */
  signal(): AbortSignal;
  /** The client closed the connection before its request had fully arrived. */
  cutShort(): boolean;
}

import type { Scope } from "../core/access/scope.ts";

/** Per-request values set by middleware. */
export type AppEnv = {
  Variables: {
    requestId: string;
    startedAt: number;
    key: Credential;
    pool: Pool;
    actor: string;
    /** The client's address as the firewall resolves it (middleware/firewall.ts). */
    client: string | undefined;
    /** Admin routes: what the caller may see and change. */
    scope: Scope;
  };
};
