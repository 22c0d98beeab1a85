// The CloudFront → function URL origin secret. CloudFront must send the value, so the distribution
// reads it at deploy time through a CloudFormation dynamic reference (never a literal in the
// template); the functions read the same secret at run time (never from the environment).
import { RemovalPolicy } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";

export class OriginSecret extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: { key: kms.IKey }) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, "Secret", {
      description:
        "Codex Pooler: value of the x-origin-verify header CloudFront adds to origin requests; " +
        "the public function URLs refuse requests without it (rotation: docs/deploy-aws.md)",
      encryptionKey: props.key,
      // Letters and digits only: the value travels as an HTTP header.
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      // Not data: a redeploy generates a new one and CloudFront picks it up in the same deploy.
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /** What CloudFront sends: `{{resolve:secretsmanager:…}}`, resolved by CloudFormation at deploy. */
  headerValue(): string {
    return this.secret.secretValue.unsafeUnwrap();
  }

  grantRead(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ["secretsmanager:GetSecretValue"],
        resources: [this.secret.secretArn],
      }),
    );
  }
}
