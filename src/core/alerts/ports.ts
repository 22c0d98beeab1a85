// Storage ports of the alerting feature; `Store.alerts` holds one of each.
import type { Page } from "../page.ts";
import type {
  AlertChannel,
  AlertDelivery,
  AlertIncident,
  AlertRule,
  DeliveryAttempt,
  IncidentState,
} from "./model.ts";

export interface AlertRuleRepository {
  create(rule: AlertRule): Promise<void>;
  get(id: string): Promise<AlertRule | undefined>;
  list(): Promise<AlertRule[]>;
  /** NotFoundError (`alert_rule_not_found`) when the rule is gone. Undefined fields are removed. */
  update(
    id: string,
    patch: Partial<Omit<AlertRule, "id" | "pool" | "kind" | "createdAt">>,
  ): Promise<AlertRule>;
  delete(id: string): Promise<void>;
}

export interface AlertChannelRepository {
  create(channel: AlertChannel): Promise<void>;
  get(id: string): Promise<AlertChannel | undefined>;
  list(): Promise<AlertChannel[]>;
  update(id: string, patch: Partial<Omit<AlertChannel, "id" | "kind" | "createdAt">>): Promise<AlertChannel>;
  delete(id: string): Promise<void>;
}

export interface IncidentQuery {
  limit: number;
  cursor?: string;
  state?: IncidentState;
  pool?: string;
}

export interface AlertIncidentRepository {
  /**
   * Records a new incident and claims its dedupe key (conditional write). Returns false, and
   * records nothing, when another unresolved incident already holds the key.
   */
  open(incident: AlertIncident): Promise<boolean>;
  get(id: string): Promise<AlertIncident | undefined>;
  /** Newest first. */
  list(query: IncidentQuery): Promise<Page<AlertIncident>>;
  /** Every unresolved incident (those holding a dedupe key), strongly consistent. */
  listActive(): Promise<AlertIncident[]>;
  /**
   * Conditional update: applies only while the incident is in one of `from`. Returns the updated
   * incident, or undefined when its state moved on (or it is gone).
   */
  update(
    id: string,
    from: IncidentState[],
    patch: Partial<Omit<AlertIncident, "id" | "ruleId" | "dedupeKey" | "firstSeenAt">>,
  ): Promise<AlertIncident | undefined>;
  /** Gives the dedupe key back after a resolve (only if this incident still holds it). */
  releaseKey(dedupeKey: string, incidentId: string): Promise<void>;
}

export interface AlertDeliveryRepository {
  create(delivery: AlertDelivery): Promise<void>;
  get(incidentId: string, eventId: string): Promise<AlertDelivery | undefined>;
  /** Deliveries of one incident (or `test`), newest first. */
  listFor(incidentId: string, limit: number): Promise<AlertDelivery[]>;
  /** Pending deliveries whose next attempt is due, oldest due first (eventually consistent). */
  listDue(nowMs: number, limit: number): Promise<AlertDelivery[]>;
  /**
   * Claims the next attempt (conditional on `status = pending` and the attempt count the caller
   * saw): counts it and pushes `nextAttemptAt` to `leaseUntil`, so a crashed sender's attempt is
   * retried later and two senders never send the same attempt.
   */
  claim(delivery: AlertDelivery, leaseUntil: number): Promise<boolean>;
  /** Appends the attempt and sets the new status (pending with its next time, delivered, failed). */
  recordAttempt(
    delivery: AlertDelivery,
    attempt: DeliveryAttempt,
    next: { status: AlertDelivery["status"]; nextAttemptAt?: number; errorCode?: string; updatedAt: number },
  ): Promise<void>;
}

export interface AlertSchedule {
  /** When rules are next due (epoch ms); the outbox is worked on every run. */
  nextEvaluationAt?: number;
  lastEvaluatedAt?: number;
}

/** One evaluator at a time across instances: a lease on one item. */
export interface AlertScheduleRepository {
  /** Conditional: takes the lease when free or expired; undefined when another run holds it. */
  acquire(owner: string, nowMs: number, leaseUntil: number): Promise<AlertSchedule | undefined>;
  /** Releases the lease (only if still ours) and records the schedule. */
  release(owner: string, schedule: AlertSchedule): Promise<void>;
}

export interface AlertRepositories {
  rules: AlertRuleRepository;
  channels: AlertChannelRepository;
  incidents: AlertIncidentRepository;
  deliveries: AlertDeliveryRepository;
  schedule: AlertScheduleRepository;
}
