// Shared option parsers (commander custom parsers throw InvalidArgumentError → one-line usage error).
import { InvalidArgumentError, Option } from "commander";
import { OPERATOR_ROLES } from "../admin-contract/enums.ts";

type OperatorRole = (typeof OPERATOR_ROLES)[number];

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 1000;

/** `on`/`true` or `off`/`false`. */
export function parseOnOff(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === "on" || v === "true") return true;
  if (v === "off" || v === "false") return false;
  throw new InvalidArgumentError("expected on or off");
}

export function parseLimit(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_LIMIT) {
    throw new InvalidArgumentError(`Must be an integer from 1 to ${MAX_LIMIT}.`);
  }
  return n;
}

export function limitOption(): Option {
  return new Option("--limit <n>", `how many entries to show (1-${MAX_LIMIT})`)
    .argParser(parseLimit)
    .default(DEFAULT_LIMIT);
}

/** Rejects empty / whitespace-only values for names, labels and ids. */
export function nonEmpty(what: string): (value: string) => string {
  return (value) => {
    const trimmed = value.trim();
    if (trimmed === "")
      throw new InvalidArgumentError(`${what[0]?.toUpperCase() ?? ""}${what.slice(1)} must not be empty.`);
    return trimmed;
  };
}

/** `--role`: `owner` or `pool-admin` (also `pool_admin`), as the admin API spells it. */
export function parseRole(value: string): OperatorRole {
  const role = OPERATOR_ROLES.find((r) => r === value.trim().toLowerCase().replace("-", "_"));
  if (!role) throw new InvalidArgumentError("Must be owner or pool-admin.");
  return role;
}

/** A repeatable option: each use adds one value. */
export function collect(what: string): (value: string, previous: string[] | undefined) => string[] {
  const one = nonEmpty(what);
  return (value, previous) => [...(previous ?? []), one(value)];
}

export function parseRingSize(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > 16)
    throw new InvalidArgumentError("Must be an integer from 1 to 16.");
  return n;
}
