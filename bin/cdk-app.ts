// `npx cdk synth|deploy`: the data stack and the gateway stack, configured from CDK context
// (lib/config.ts). No lookups, so synth needs no AWS credentials.
import { App } from "aws-cdk-lib";
import { buildApp } from "../lib/app.ts";

buildApp(new App());
