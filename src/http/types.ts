import type { Credential, Pool } from "../core/model.ts";

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
  };
};
