import { measureLambdaInit } from "./bench/lambda-init.ts";
const r = await measureLambdaInit(7);
for (const x of r) console.log(x.name.padEnd(18), x.kb.toFixed(0).padStart(5), "KB", x.initMsMedian.toFixed(0).padStart(5), "ms p50", x.initMsMax.toFixed(0), "max");
