import type { Credential, Pool } from "../core/model.ts";
import type { Scope } from "../core/scope.ts";

/** Per-request values set by middleware. */
export type AppEnv = {
  Variables: {
    requestId: string;
    startedAt: number;
    key: Credential;
    pool: Pool;
    actor: string;
    /** Admin routes: what the caller may see and change. */
    scope: Scope;
  };
};
