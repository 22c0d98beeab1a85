// Alert channels of kind `sns` (the AWS monitoring stack's topic): the AWS host's sender publishes the
// rendered event with its ids; the SNS API is mocked (no AWS account here), everything else is real.
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, expect, it } from "vitest";
import { snsAlertSender } from "../src/adapters/aws/sns-alert-sender.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:codex-pooler-alarms";
const sns = mockClient(SNSClient);
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway(
    {},
    { alertSenders: { sns: snsAlertSender(new SNSClient({ region: "eu-west-1" })) } },
  );
});
afterAll(async () => {
  await gw?.stop();
  sns.restore();
});

it("publishes incidents to an SNS topic channel, with the event and attempt ids as attributes", async () => {
  sns.on(PublishCommand).resolves({ MessageId: "m-1" });
  const bad = await gw.admin("POST", "/alert-channels", {
    name: "topic",
    kind: "sns",
    url: "https://example.com/x",
  });
  expect(bad.status).toBe(400);
  expect(bad.body.error.param).toBe("url");

  const created = await gw.admin("POST", "/alert-channels", { name: "alarm topic", kind: "sns", url: TOPIC });
  expect(created.status).toBe(201);
  expect(created.body.channel).toMatchObject({ kind: "sns", url: { host: "sns", pathPrefix: "/eu-west-1" } });
  expect(JSON.stringify(created.body.channel)).not.toContain("123456789012");

  const seeded = await gw.seed({ accounts: 1 });
  const rule = await gw.admin("POST", "/alert-rules", {
    pool: seeded.pool,
    kind: "pool_no_usable_assignments",
    channelIds: [created.body.channel.id],
  });
  expect(rule.status).toBe(201);
  await gw.admin("POST", `/accounts/${seeded.accounts[0]!.id}/pause`);
  expect((await gw.admin("POST", "/alerts/evaluate")).status).toBe(200);

  const calls = sns.commandCalls(PublishCommand);
  expect(calls).toHaveLength(1);
  const input = calls[0]!.args[0].input;
  expect(input.TopicArn).toBe(TOPIC);
  const message = JSON.parse(input.Message as string);
  expect(message.event_type).toBe("incident.opened");
  expect(input.MessageAttributes?.event_id?.StringValue).toBe(message.event_id);
  expect(input.MessageAttributes?.attempt_id?.StringValue).toMatch(/\S/);

  // A failing publish is recorded and retried like a failing webhook.
  sns.on(PublishCommand).rejects(Object.assign(new Error("denied"), { name: "AuthorizationErrorException" }));
  const test = await gw.admin("POST", `/alert-channels/${created.body.channel.id}/test`);
  expect(JSON.stringify(test.body)).toContain("AuthorizationErrorException");
});
