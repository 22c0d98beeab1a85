// OpenAPI paths of the operator-plane routes (usage rollups, alerting), merged into openapi.ts.
import { z } from "zod";
import { CreateAlertChannel, CreateAlertRule, UpdateAlertChannel, UpdateAlertRule } from "./alert-schemas.ts";
import { CreateInvite } from "./invites.ts";
import { UpdateToken } from "./schemas.ts";

const error = { $ref: "#/components/schemas/Error" };
const ok = (description: string) => ({
  description,
  content: { "application/json": { schema: { type: "object" } } },
});
const failure = (description: string) => ({
  description,
  content: { "application/json": { schema: error } },
});
const errors = {
  "400": failure("Invalid input"),
  "401": failure("Missing or invalid admin token"),
  "403": failure("insufficient_scope (param: the missing scope)"),
  "404": failure("Not found"),
};
const body = (schema: z.ZodType) => ({
  required: true,
  content: { "application/json": { schema: z.toJSONSchema(schema) } },
});
const idParam = [{ name: "id", in: "path", required: true, schema: { type: "string" } }];
const query = (...names: string[]) =>
  names.map((name) => ({ name, in: "query", schema: { type: "string" } }));
const action = (summary: string, extra: Record<string, unknown> = {}) => ({
  post: { summary, parameters: idParam, responses: { "200": ok(summary), ...extra, ...errors } },
});
const conflict = { "409": failure("The record is not in a state that allows this") };

export function operatorPaths() {
  const patchToken = (what: string) => ({
    patch: {
      summary: `Change an ${what}'s label or scope`,
      parameters: idParam,
      requestBody: body(UpdateToken),
      responses: { "200": ok("Updated"), ...errors },
    },
  });
  return {
    "/whoami": {
      get: {
        summary: "The caller's actor, role and Pools",
        responses: { "200": ok("Identity and scope"), ...errors },
      },
    },
    "/admin-tokens/{id}": patchToken("admin token (owner only)"),
    "/mcp-tokens/{id}": patchToken("MCP token"),
    "/invites": {
      get: {
        summary: "List invites",
        parameters: query("pool", "status"),
        responses: { "200": ok("Invites"), ...errors },
      },
      post: {
        summary: "Create an invite (one-time URL in this answer only)",
        requestBody: body(CreateInvite),
        responses: { "201": ok("The invite and its URL"), ...errors },
      },
    },
    "/invites/{id}": {
      get: { summary: "One invite", parameters: idParam, responses: { "200": ok("The invite"), ...errors } },
    },
    "/invites/{id}/revoke": action("Revoke an invite", conflict),
    "/usage": {
      get: {
        summary:
          "Usage totals from the daily rollups: requests, errors and tokens for UTC days since..until (default the last 7, at most 400), grouped by day, model, key, pool or account",
        parameters: query("since", "until", "pool", "key", "groupBy"),
        responses: { "200": ok("Rows and totals"), ...errors },
      },
    },
    "/alert-rules": {
      get: {
        summary: "List alert rules",
        parameters: query("pool"),
        responses: { "200": ok("Rules"), ...errors },
      },
      post: {
        summary: "Create an alert rule (alert_rule.create)",
        requestBody: body(CreateAlertRule),
        responses: { "201": ok("Created"), ...errors },
      },
    },
    "/alert-rules/{id}": {
      get: { summary: "Alert rule detail", parameters: idParam, responses: { "200": ok("Rule"), ...errors } },
      patch: {
        summary: "Change an alert rule (alert_rule.update); null resets a parameter",
        parameters: idParam,
        requestBody: body(UpdateAlertRule),
        responses: { "200": ok("Rule"), ...errors },
      },
      delete: {
        summary: "Delete an alert rule and resolve its open incidents (alert_rule.delete)",
        parameters: idParam,
        responses: { "200": ok("Deleted"), ...errors },
      },
    },
    "/alert-rules/{id}/enable": action("Enable an alert rule (alert_rule.enable)", conflict),
    "/alert-rules/{id}/disable": action("Disable an alert rule (alert_rule.disable)", conflict),
    "/alert-channels": {
      get: {
        summary: "List alert channels (URL host, path start and fingerprint only)",
        responses: { "200": ok("Channels"), ...errors },
      },
      post: {
        summary:
          "Create a webhook channel (alert_channel.create); a generated signing secret is returned once",
        requestBody: body(CreateAlertChannel),
        responses: { "201": ok("Created"), ...errors },
      },
    },
    "/alert-channels/{id}": {
      get: {
        summary: "Alert channel detail",
        parameters: idParam,
        responses: { "200": ok("Channel"), ...errors },
      },
      patch: {
        summary: "Change a channel's name, URL, format or signing secret (alert_channel.update)",
        parameters: idParam,
        requestBody: body(UpdateAlertChannel),
        responses: { "200": ok("Channel"), ...errors },
      },
      delete: {
        summary: "Delete a channel, its stored URL and secret, and its place in rules (alert_channel.delete)",
        parameters: idParam,
        responses: { "200": ok("Deleted"), ...errors },
      },
    },
    "/alert-channels/{id}/enable": action("Enable an alert channel (alert_channel.enable)", conflict),
    "/alert-channels/{id}/disable": action("Disable an alert channel (alert_channel.disable)", conflict),
    "/alert-channels/{id}/test": action("Send one signed test event now (no retry) and answer the attempt"),
    "/alert-incidents": {
      get: {
        summary: "Alert incidents, newest first",
        parameters: query("limit", "cursor", "state", "pool"),
        responses: { "200": ok("Page of incidents"), ...errors },
      },
    },
    "/alert-incidents/{id}": {
      get: {
        summary: "Incident detail with its deliveries and their attempts",
        parameters: idParam,
        responses: { "200": ok("Incident"), ...errors },
      },
    },
    "/alert-incidents/{id}/acknowledge": action(
      "Acknowledge an open incident: stops repeats (alert_incident.acknowledge)",
      conflict,
    ),
    "/alert-incidents/{id}/resolve": action("Resolve an incident (alert_incident.resolve)", conflict),
    "/alerts/evaluate": {
      post: {
        summary:
          "Evaluate every active alert rule now and send pending deliveries; 409 while another run is going",
        responses: {
          "200": ok("Run summary"),
          "409": failure("alert_evaluation_in_progress"),
          ...errors,
        },
      },
    },
  };
}
