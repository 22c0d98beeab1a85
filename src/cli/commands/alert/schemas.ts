// The alerting admin API's answers as the CLI reads them: the contract's schemas
// (src/admin-contract/responses.ts) read leniently (src/admin-contract/lenient.ts), and the choices
// its flags accept from the contract's vocabulary.
import type { z } from "zod";
import {
  ALERT_RULE_KINDS,
  ALERT_SEVERITIES,
  CHANNEL_FORMATS,
  INCIDENT_STATES,
  WINDOW_SELECTORS,
} from "../../../admin-contract/enums.ts";
import { lenient } from "../../../admin-contract/lenient.ts";
import * as C from "../../../admin-contract/responses.ts";

export const KINDS = [...ALERT_RULE_KINDS];
export const SEVERITIES = [...ALERT_SEVERITIES];
export const WINDOWS = [...WINDOW_SELECTORS];
export const FORMATS = [...CHANNEL_FORMATS];
export { INCIDENT_STATES };

export const Rule = lenient(C.AlertRule, ["id"]);
export type Rule = z.output<typeof Rule>;
export const RuleAnswer = lenient(C.AlertRuleResponse, ["rule", "id"]);
export const RuleList = lenient(C.AlertRuleListResponse, ["data", "id"]);

export const Channel = lenient(C.AlertChannel, ["id"]);
export type Channel = z.output<typeof Channel>;
export const ChannelAnswer = lenient(C.AlertChannelResponse, ["channel", "id"]);
export const ChannelList = lenient(C.AlertChannelListResponse, ["data", "id"]);
export const ChannelTest = lenient(C.AlertChannelTestResponse, [
  "delivered",
  "delivery",
  "eventId",
  "attemptId",
]);

export const Incident = lenient(C.AlertIncident, ["id"]);
export type Incident = z.output<typeof Incident>;
export const IncidentAnswer = lenient(C.AlertIncidentResponse, ["incident", "id"]);
export const IncidentList = lenient(C.AlertIncidentListResponse, ["data", "id"]);
export const IncidentDetail = lenient(C.AlertIncidentDetailResponse, [
  "incident",
  "deliveries",
  "id",
  "eventId",
  "attemptId",
]);

export const Delivery = lenient(C.AlertDelivery, ["eventId", "attemptId"]);
export type Delivery = z.output<typeof Delivery>;

export const EvaluateResult = lenient(C.AlertEvaluation, [
  "rulesEvaluated",
  "opened",
  "repeated",
  "resolved",
  "deliveries",
  "attempted",
  "delivered",
  "retrying",
  "failed",
]);

export const Deleted = lenient(C.Deleted, ["id"]);
