#!/usr/bin/env node
// `pooler` executable: registers tsx so the TypeScript CLI runs without a build step.
import { register } from "tsx/esm/api";

register();
await import("./pooler-cli.ts");
