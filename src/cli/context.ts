// Per-invocation context shared by all commands: global options, the admin client, output mode.
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import type { Command } from "commander";
import type { z } from "zod";
import { AdminClient, DEFAULT_GATEWAY_URL } from "./admin-client.ts";
import { CliError } from "./errors.ts";
import type { CliIO } from "./output.ts";
import { printJson } from "./output.ts";
import { defaultAwsCredentials, isFunctionUrl, signingRegion, sigv4Signer } from "./sigv4.ts";

export interface CliDeps {
  io: CliIO;
  env: Readonly<Record<string, string | undefined>>;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Whether stderr is a terminal (progress indicators animate only then). */
  stderrIsTTY?: boolean;
  fetch?: typeof fetch;
  /** AWS credentials for SigV4 (--aws); the default AWS credential chain when absent. */
  awsCredentials?: AwsCredentialIdentityProvider;
}

export interface GlobalOptions {
  url?: string;
  adminToken?: string;
  json?: boolean;
  /** Sign with SigV4 (also implied by a Lambda function URL). */
  aws?: boolean;
}

/** `$POOLER_URL` when set and non-empty, else the local default. */
export function defaultGatewayUrl(env: CliDeps["env"]): string {
  const fromEnv = env.POOLER_URL?.trim();
  return fromEnv ? fromEnv : DEFAULT_GATEWAY_URL;
}

export class CommandContext {
  readonly io: CliIO;
  readonly json: boolean;
  readonly deps: CliDeps;
  readonly #globals: GlobalOptions;
  #client: AdminClient | undefined;

  constructor(deps: CliDeps, globals: GlobalOptions) {
    this.deps = deps;
    this.io = deps.io;
    this.json = globals.json === true;
    this.#globals = globals;
  }

  static of(command: Command, deps: CliDeps): CommandContext {
    return new CommandContext(deps, command.optsWithGlobals<GlobalOptions>());
  }

  /** The admin client; fails (one-line error) when the URL is invalid or no admin token is configured. */
  client(): AdminClient {
    if (!this.#client) {
      const baseUrl = this.#globals.url ?? defaultGatewayUrl(this.deps.env);
      // The admin function URL on AWS uses IAM auth: sign with SigV4 instead of the bearer token.
      const sign = this.#globals.aws === true || isFunctionUrl(baseUrl);
      this.#client = new AdminClient({
        baseUrl,
        // An explicit --admin-token wins over the environment variable.
        token: this.#globals.adminToken ?? this.deps.env.POOLER_ADMIN_TOKEN ?? "",
        signer: sign
          ? sigv4Signer({
              region: signingRegion(baseUrl, this.deps.env),
              credentials: this.deps.awsCredentials ?? defaultAwsCredentials,
            })
          : undefined,
        fetch: this.deps.fetch,
      });
    }
    return this.#client;
  }

  /**
   * Prints an API response: verbatim (pretty JSON) with --json, otherwise decodes it with `schema`
   * and hands it to `render` for human output.
   */
  emit<S extends z.ZodType>(
    raw: unknown,
    schema: S,
    what: string,
    render: (value: z.output<S>) => void,
  ): void {
    if (this.json) {
      printJson(this.io, raw);
      return;
    }
    render(decode(schema, raw, what));
  }

  warn(message: string): void {
    this.io.stderr(`warning: ${message}\n`);
  }
}

export function decode<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join(".")}` : "";
  throw new CliError(
    `unexpected response to ${what}${where}: ${issue?.message ?? "invalid shape"} (use --json to see it)`,
  );
}
