// GET /admin/v1/admission: this process's bulkheads per route class (limits, running, queued,
// refusals since start). Read-only: the limits come from the host's configuration.
import { Hono } from "hono";
import type { Gateway } from "../../../core/gateway.ts";
import type { AppEnv } from "../../types.ts";

export function admissionAdminRoutes(gw: Gateway) {
  return new Hono<AppEnv>().get("/admission", (c) =>
    c.json({
      enabled: gw.admission !== undefined,
      data: gw.admission?.state() ?? [],
    }),
  );
}
