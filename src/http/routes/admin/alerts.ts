// Alerting admin routes: rules, channels (with a signed test send), incidents (acknowledge,
// resolve) and a manual evaluation run. Mutations are audited in the core use cases. Rules and
// incidents belong to one Pool (scope-checked here); channels and the evaluation run are owner-only
// (index.ts).
import { type Context, Hono } from "hono";
import {
  CreateAlertChannel,
  CreateAlertRule,
  EvaluateBody,
  IncidentQuery,
  RuleQuery,
  UpdateAlertChannel,
  UpdateAlertRule,
} from "../../../admin-contract/requests.ts";
import {
  channelView,
  deliveryView,
  evaluationView,
  incidentView,
  ruleView,
} from "../../../admin-views/alerts.ts";
import { hasPool, requirePoolScope } from "../../../core/access/scope.ts";
import {
  createChannel,
  deleteChannel,
  requireChannel,
  setChannelState,
  testChannel,
  updateChannel,
} from "../../../core/alerts/channels.ts";
import { deliverAll } from "../../../core/alerts/delivery.ts";
import { evaluateAlerts } from "../../../core/alerts/evaluate.ts";
import {
  acknowledgeIncident,
  requireIncident,
  resolveIncidentByOperator,
} from "../../../core/alerts/incidents.ts";
import { createRule, deleteRule, requireRule, setRuleState, updateRule } from "../../../core/alerts/rules.ts";
import { GatewayError } from "../../../core/errors.ts";
import type { Gateway } from "../../../core/gateway.ts";
import type { AppEnv } from "../../types.ts";
import { jsonBody, validate } from "../../validate.ts";
import { scopeOf } from "./scope.ts";

export function alertAdminRoutes(gw: Gateway) {
  const { ctx } = gw;
  const app = new Hono<AppEnv>();
  /** The rule or incident named in the path, once the caller's scope has its Pool. */
  const scopedRule = async (c: Context<AppEnv>) => {
    const rule = await requireRule(ctx, c.req.param("id") as string);
    requirePoolScope(scopeOf(c), rule.pool, `alert rule ${rule.id}`);
    return rule;
  };
  const scopedIncident = async (c: Context<AppEnv>) => {
    const incident = await requireIncident(ctx, c.req.param("id") as string);
    requirePoolScope(scopeOf(c), incident.pool, `alert incident ${incident.id}`);
    return incident;
  };

  app
    .post("/alert-rules", async (c) => {
      const input = validate(CreateAlertRule, await jsonBody(c.req.raw));
      requirePoolScope(scopeOf(c), input.pool, `creating an alert rule for Pool ${input.pool}`);
      return c.json({ rule: ruleView(await createRule(ctx, input, c.get("actor"))) }, 201);
    })
    .get("/alert-rules", async (c) => {
      const { pool } = validate(RuleQuery, c.req.query());
      const scope = scopeOf(c);
      if (pool) requirePoolScope(scope, pool, `listing the alert rules of Pool ${pool}`);
      const rules = (await ctx.store.alerts.rules.list()).filter(
        (r) => (!pool || r.pool === pool) && hasPool(scope, r.pool),
      );
      return c.json({ data: rules.map(ruleView) });
    })
    .get("/alert-rules/:id", async (c) => c.json({ rule: ruleView(await scopedRule(c)) }))
    .patch("/alert-rules/:id", async (c) => {
      await scopedRule(c);
      const input = validate(UpdateAlertRule, await jsonBody(c.req.raw));
      return c.json({ rule: ruleView(await updateRule(ctx, c.req.param("id"), input, c.get("actor"))) });
    })
    .delete("/alert-rules/:id", async (c) => {
      await scopedRule(c);
      await deleteRule(ctx, c.req.param("id"), c.get("actor"));
      return c.json({ id: c.req.param("id"), deleted: true });
    });
  for (const action of ["enable", "disable"] as const) {
    app.post(`/alert-rules/:id/${action}`, async (c) => {
      await scopedRule(c);
      return c.json({ rule: ruleView(await setRuleState(ctx, c.req.param("id"), action, c.get("actor"))) });
    });
    app.post(`/alert-channels/:id/${action}`, async (c) =>
      c.json({ channel: channelView(await setChannelState(ctx, c.req.param("id"), action, c.get("actor"))) }),
    );
  }

  app
    .post("/alert-channels", async (c) => {
      const input = validate(CreateAlertChannel, await jsonBody(c.req.raw));
      const { channel, secret } = await createChannel(ctx, input, c.get("actor"));
      // The generated signing secret is in this answer only.
      return c.json({ channel: channelView(channel), secret: secret ?? null }, 201);
    })
    .get("/alert-channels", async (c) =>
      c.json({ data: (await ctx.store.alerts.channels.list()).map(channelView) }),
    )
    .get("/alert-channels/:id", async (c) =>
      c.json({ channel: channelView(await requireChannel(ctx, c.req.param("id"))) }),
    )
    .patch("/alert-channels/:id", async (c) => {
      const input = validate(UpdateAlertChannel, await jsonBody(c.req.raw));
      const { channel, secret } = await updateChannel(ctx, c.req.param("id"), input, c.get("actor"));
      return c.json({ channel: channelView(channel), secret: secret ?? null });
    })
    .delete("/alert-channels/:id", async (c) => {
      await deleteChannel(ctx, c.req.param("id"), c.get("actor"));
      return c.json({ id: c.req.param("id"), deleted: true });
    })
    .post("/alert-channels/:id/test", async (c) => {
      const delivery = await testChannel(ctx, c.req.param("id"));
      return c.json({ delivered: delivery.status === "delivered", delivery: deliveryView(delivery) });
    });

  app
    .get("/alert-incidents", async (c) => {
      const q = validate(IncidentQuery, c.req.query());
      const scope = scopeOf(c);
      if (q.pool) requirePoolScope(scope, q.pool, `listing the incidents of Pool ${q.pool}`);
      const page = await ctx.store.alerts.incidents.list(q);
      // A page filtered to the caller's Pools may come out short; nextCursor still walks on.
      const items = page.items.filter((i) => hasPool(scope, i.pool));
      return c.json({ data: items.map(incidentView), nextCursor: page.nextCursor ?? null });
    })
    .get("/alert-incidents/:id", async (c) => {
      const incident = await scopedIncident(c);
      const deliveries = await ctx.store.alerts.deliveries.listFor(incident.id, 100);
      return c.json({ incident: incidentView(incident), deliveries: deliveries.map(deliveryView) });
    })
    .post("/alert-incidents/:id/acknowledge", async (c) => {
      await scopedIncident(c);
      return c.json({
        incident: incidentView(await acknowledgeIncident(ctx, c.req.param("id"), c.get("actor"))),
      });
    })
    .post("/alert-incidents/:id/resolve", async (c) => {
      await scopedIncident(c);
      const incident = await resolveIncidentByOperator(ctx, c.req.param("id"), c.get("actor"), (deliveries) =>
        ctx.background(deliverAll(ctx, deliveries)),
      );
      return c.json({ incident: incidentView(incident) });
    });

  app.post("/alerts/evaluate", async (c) => {
    validate(EvaluateBody, await jsonBody(c.req.raw, { optional: true }));
    const result = await evaluateAlerts(gw.ctx, { force: true });
    if (result.status === "busy") {
      throw new GatewayError(
        409,
        "alert_evaluation_in_progress",
        "an alert evaluation is already running; its results will show in the incidents list",
      );
    }
    return c.json(evaluationView({ ...result, status: "done" }));
  });
  return app;
}
