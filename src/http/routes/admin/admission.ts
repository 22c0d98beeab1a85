// GET /admin/v1/admission: this process's bulkheads per route class (limits, running, queued,
// refusals since start). Read-only: the limits come from the host's configuration.
import { Hono } from "hono";
import { requireOwner } from "../../../core/access/scope.ts";
import type { Gateway } from "../../../core/gateway.ts";
import type { AppEnv } from "../../types.ts";
import { scopeOf } from "./scope.ts";

export function admissionAdminRoutes(gw: Gateway) {
  return new Hono<AppEnv>().get("/admission", (c) => {
    // Instance-wide load, like the settings: the owner's view.
    requireOwner(scopeOf(c), "reading the instance's admission state");
    return c.json({
      enabled: gw.admission !== undefined,
      data: gw.admission?.state() ?? [],
    });
  });
}
