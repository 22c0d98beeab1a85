// `pooler account login`: adds an account through the gateway's OAuth onboarding, by device code
// (default: open a URL, type a code, the CLI waits) or by browser PKCE (open a URL, paste back the
// localhost callback URL the browser ends on). The tokens never pass through the CLI.
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { type Command, Option } from "commander";
import { type AdminClient, seg } from "../admin-client.ts";
import { type CliDeps, CommandContext, decode } from "../context.ts";
import { CliError, redactSecrets } from "../errors.ts";
import { nonEmpty } from "../options.ts";
import { formatTime, printJson, printLines, quoted } from "../output.ts";
import { BrowserFlowResponse, DeviceFlowResponse, LoginResult } from "../schemas.ts";

type LoginStatus = LoginResult;

const DEFAULT_INTERVAL_S = 5;
/** Consecutive "auth server did not answer" polls tolerated before giving up. */
const MAX_TRANSIENT_FAILURES = 5;
const SPINNER = ["|", "/", "-", "\\"];
const SPIN_MS = 120;
/** Without a terminal, one status line this often (logs and CI stay readable). */
const STATUS_LINE_MS = 30_000;

interface LoginOptions {
  pool: string;
  label?: string;
  device?: boolean;
  browser?: boolean;
}

export function registerAccountLogin(account: Command, deps: CliDeps): void {
  account
    .command("login")
    .description("add an account by signing in to ChatGPT (device code by default, or --browser)")
    .requiredOption("--pool <name>", "pool to add the account to", nonEmpty("pool name"))
    .option("--label <label>", "label for the account", nonEmpty("label"))
    .addOption(new Option("--device", "device-code login: open a URL and type a code (default)"))
    .addOption(
      new Option(
        "--browser",
        "browser login: open a URL, sign in, paste back the http://localhost:1455/auth/callback?... address",
      ).conflicts("device"),
    )
    .action(async (opts: LoginOptions, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const client = ctx.client();
      const body: { pool: string; label?: string } = { pool: opts.pool };
      if (opts.label !== undefined) body.label = opts.label;
      const session = new LoginSession(ctx, deps);
      try {
        const done = opts.browser
          ? await browserLogin(client, session, body)
          : await deviceLogin(client, session, body);
        session.finish(done, opts.pool);
      } finally {
        session.dispose();
      }
    });
}

async function deviceLogin(
  client: AdminClient,
  session: LoginSession,
  body: { pool: string; label?: string },
): Promise<{ raw: unknown; status: LoginStatus }> {
  const { flow } = decode(
    DeviceFlowResponse,
    await client.post("/admin/v1/accounts/oauth/device", body),
    "account login",
  );
  session.say(
    `To sign in, open ${printable(flow.verificationUrl)} in a browser and enter this code:`,
    "",
    `    ${printable(flow.userCode)}`,
    "",
    `The code works until ${formatTime(flow.expiresAt)}. Press Ctrl-C to give up.`,
  );
  let interval = flow.intervalSeconds ?? DEFAULT_INTERVAL_S;
  let transient = 0;
  session.startProgress(flow.expiresAt ?? undefined, interval);
  for (;;) {
    await session.wait(interval * 1000);
    let raw: unknown;
    try {
      raw = await client.post(`/admin/v1/accounts/oauth/device/${seg(flow.id)}/poll`);
      transient = 0;
    } catch (error) {
      session.checkCancelled();
      // The auth server had a hiccup: keep waiting, the user may be mid-approval.
      if (
        error instanceof CliError &&
        error.code === "provider_unavailable" &&
        ++transient < MAX_TRANSIENT_FAILURES
      ) {
        continue;
      }
      throw error;
    }
    session.checkCancelled();
    const status = decode(LoginResult, raw, "account login poll");
    if (status.status === "complete") return { raw, status };
    if (status.status === "slow_down") {
      interval = status.intervalSeconds ?? interval + 5;
      session.note(`the auth server asked to poll more slowly; checking every ${interval}s`);
    }
    session.tick(interval);
  }
}

async function browserLogin(
  client: AdminClient,
  session: LoginSession,
  body: { pool: string; label?: string },
): Promise<{ raw: unknown; status: LoginStatus }> {
  const { flow } = decode(
    BrowserFlowResponse,
    await client.post("/admin/v1/accounts/oauth/browser", body),
    "account login",
  );
  session.say(
    "Open this URL in a browser and sign in:",
    "",
    `    ${printable(flow.authorizeUrl)}`,
    "",
    "The browser then ends on http://localhost:1455/auth/callback?... (the page may fail to load: nothing",
    "listens there). Copy that whole address from the address bar, paste it here and press Enter.",
    `The login works until ${formatTime(flow.expiresAt)}.`,
  );
  const callbackUrl = await session.readLine();
  if (!callbackUrl)
    throw new CliError("no callback URL was pasted; run `pooler account login --browser` again");
  const raw = await client.post(`/admin/v1/accounts/oauth/browser/${seg(flow.id)}/callback`, { callbackUrl });
  return { raw, status: decode(LoginResult, raw, "account login") };
}

/** Instructions, progress and cancellation of one interactive login. */
class LoginSession {
  readonly #ctx: CommandContext;
  readonly #deps: CliDeps;
  readonly #abort = new AbortController();
  readonly #onSigint = () => this.#abort.abort();
  #spinner: NodeJS.Timeout | undefined;
  #frame = 0;
  #waiting = false;
  #intervalSeconds = DEFAULT_INTERVAL_S;
  #expiresAt: number | undefined;
  #lastStatusLine = 0;

  constructor(ctx: CommandContext, deps: CliDeps) {
    this.#ctx = ctx;
    this.#deps = deps;
    process.once("SIGINT", this.#onSigint);
  }

  /** Instructions: stdout normally; stderr with --json, whose stdout is only the final JSON. */
  say(...lines: string[]): void {
    if (this.#ctx.json) this.#deps.io.stderr(`${lines.join("\n")}\n`);
    else printLines(this.#ctx.io, ...lines);
  }

  startProgress(expiresAt: string | undefined, intervalSeconds: number): void {
    const ms = expiresAt ? Date.parse(expiresAt) : Number.NaN;
    this.#expiresAt = Number.isNaN(ms) ? undefined : ms;
    this.tick(intervalSeconds);
    if (this.#deps.stderrIsTTY) {
      this.#spinner = setInterval(() => this.#draw(), SPIN_MS);
      this.#spinner.unref();
    }
  }

  tick(intervalSeconds: number): void {
    this.#waiting = true;
    this.#intervalSeconds = intervalSeconds;
    const now = Date.now();
    if (this.#deps.stderrIsTTY) this.#draw();
    else if (now - this.#lastStatusLine >= STATUS_LINE_MS) {
      this.#lastStatusLine = now;
      this.#deps.io.stderr(`${this.#statusText()}...\n`);
    }
  }

  note(message: string): void {
    this.#clearLine();
    this.#deps.io.stderr(`${message}\n`);
  }

  /** Sleeps, unless Ctrl-C comes first. */
  async wait(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.#abort.signal });
    } catch {
      this.checkCancelled();
    }
  }

  checkCancelled(): void {
    if (this.#abort.signal.aborted) {
      this.#stopProgress();
      throw new CliError("login cancelled; nothing was added (the code stops working when it expires)", 130);
    }
  }

  /** One non-blank line from stdin (the pasted callback URL); undefined at end of input. */
  readLine(): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      const rl = createInterface({ input: this.#deps.stdin, terminal: false });
      const finish = (value: string | undefined, error?: Error) => {
        this.#abort.signal.removeEventListener("abort", onAbort);
        rl.removeAllListeners();
        rl.close();
        // One line is all we read; an open stdin pipe would keep the process alive after the login.
        (this.#deps.stdin as Partial<Readable>).destroy?.();
        if (error) reject(error);
        else resolve(value);
      };
      const onAbort = () => finish(undefined, new CliError("login cancelled; nothing was added", 130));
      this.#abort.signal.addEventListener("abort", onAbort, { once: true });
      rl.on("line", (line) => {
        if (line.trim() !== "") finish(line.trim());
      });
      rl.on("close", () => finish(undefined));
    });
  }

  finish(done: { raw: unknown; status: LoginStatus }, pool: string): void {
    this.#stopProgress();
    for (const warning of done.status.warnings ?? []) this.#ctx.warn(redactSecrets(warning));
    if (this.#ctx.json) {
      printJson(this.#ctx.io, done.raw);
      return;
    }
    const account = done.status.account;
    if (!account)
      throw new CliError("the gateway said the login completed but sent no account (use --json to see it)");
    printLines(
      this.#ctx.io,
      `Signed in: account ${account.label ? `${quoted(account.label)} (${account.id})` : account.id} is in pool ${quoted(pool)}.`,
      `  status: ${account.status ?? "-"}  plan: ${account.planType ?? "-"}  email: ${account.email ?? "-"}`,
      `  access token expires: ${formatTime(account.accessTokenExpiresAt)}`,
    );
  }

  dispose(): void {
    this.#stopProgress();
    process.removeListener("SIGINT", this.#onSigint);
  }

  #statusText(): string {
    let remaining = "";
    if (this.#expiresAt !== undefined) {
      const seconds = Math.max(0, Math.round((this.#expiresAt - Date.now()) / 1000));
      remaining = `, code expires in ${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
    }
    return `Waiting for approval (checking every ${this.#intervalSeconds}s${remaining})`;
  }

  #draw(): void {
    const frame = SPINNER[this.#frame++ % SPINNER.length];
    this.#deps.io.stderr(`\r\x1b[2K${frame} ${this.#statusText()}`);
  }

  #clearLine(): void {
    if (this.#deps.stderrIsTTY && this.#waiting) this.#deps.io.stderr("\r\x1b[2K");
  }

  #stopProgress(): void {
    if (this.#spinner) clearInterval(this.#spinner);
    this.#spinner = undefined;
    this.#clearLine();
    this.#waiting = false;
  }
}

/** Text from the server shown on a terminal: no control characters (no escape-sequence tricks). */
function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, "");
}
