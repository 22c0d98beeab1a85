// A Store adapter wrapper for fault injection: every repository method of the wrapped store (however
// the Store grows) passes through here, where a test can count calls or make chosen calls fail the
// way DynamoDB fails: throttled (the SDK's error after its retries), or timed out. Inject it with
// startLocalGateway's `wrapStore` option.
import type { Store } from "../../src/core/ports.ts";

export type StoreFault = "throttle" | "timeout";

/** `repository.method`, e.g. `credentials.get`, `requestLogs.append`, or `ping`. */
export type StoreCall = string;

export interface FaultyStore {
  wrap(store: Store): Store;
  /** Calls seen per `repository.method`, faulted or not. */
  calls: Map<StoreCall, number>;
  /** Makes calls matching `match` fail with `fault` until cleared (or for `times` calls). */
  inject(match: (call: StoreCall) => boolean, fault: StoreFault, times?: number): void;
  clear(): void;
  /** Calls that were failed on purpose. */
  failed: StoreCall[];
}

/** What the AWS SDK throws once its retries of a throttled call are spent. */
export function throttlingError(): Error {
  const error = new Error("Rate of requests exceeds the allowed throughput.");
  error.name = "ProvisionedThroughputExceededException";
  Object.assign(error, { $metadata: { httpStatusCode: 400, attempts: 3 }, $retryable: { throttling: true } });
  return error;
}

/** What the SDK throws when a request times out (after `delayMs`, as a configured timeout would). */
export function timeoutError(): Error {
  const error = new Error("Connection timed out after 1000 ms");
  error.name = "TimeoutError";
  return error;
}

export function faultyStore(options: { timeoutDelayMs?: number } = {}): FaultyStore {
  const calls = new Map<StoreCall, number>();
  const failed: StoreCall[] = [];
  let rules: { match: (call: StoreCall) => boolean; fault: StoreFault; left: number }[] = [];
  const timeoutDelayMs = options.timeoutDelayMs ?? 50;

  const intercept = (call: StoreCall): StoreFault | undefined => {
    calls.set(call, (calls.get(call) ?? 0) + 1);
    const rule = rules.find((r) => r.left > 0 && r.match(call));
    if (!rule) return undefined;
    rule.left--;
    failed.push(call);
    return rule.fault;
  };

  const wrapObject = (target: object, prefix: string): object =>
    new Proxy(target, {
      get(obj, prop, receiver) {
        const value = Reflect.get(obj, prop, receiver);
        if (typeof prop !== "string") return value;
        const name = prefix ? `${prefix}.${prop}` : prop;
        if (typeof value === "function") {
          return (...args: unknown[]) => {
            const fault = intercept(name);
            if (fault === "throttle") return Promise.reject(throttlingError());
            if (fault === "timeout")
              return new Promise((_, reject) => setTimeout(() => reject(timeoutError()), timeoutDelayMs));
            return (value as (...a: unknown[]) => unknown).apply(obj, args);
          };
        }
        // Nested groups of repositories (e.g. store.alerts.rules).
        if (value && typeof value === "object") return wrapObject(value, name);
        return value;
      },
    });

  return {
    calls,
    failed,
    wrap: (store) => wrapObject(store, "") as Store,
    inject(match, fault, times = Number.POSITIVE_INFINITY) {
      rules.push({ match, fault, left: times });
    },
    clear() {
      rules = [];
    },
  };
}
