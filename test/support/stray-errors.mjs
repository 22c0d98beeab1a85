// Preloaded into a gateway process by test/process-containment.test.ts: once the gateway says it is
// listening, an exception and a rejection escape every handler, as a bug would. Their messages carry
// a canary that must not reach the log.
const CANARY = "stray-error-canary-sk-cxp-000000000000";
const write = process.stdout.write.bind(process.stdout);
let armed = false;
process.stdout.write = (chunk, ...rest) => {
  if (!armed && String(chunk).includes("Codex Pooler listening")) {
    armed = true;
    setTimeout(() => {
      throw Object.assign(new TypeError(`thrown ${CANARY}`), { code: "E_STRAY_TEST" });
    }, 200);
    setTimeout(() => {
      void Promise.reject(new RangeError(`rejected ${CANARY}`));
    }, 300);
  }
  return write(chunk, ...rest);
};
