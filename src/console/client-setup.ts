// The client setup page, rendered on the server from the same pure templates as
// `pooler client-config`: nothing secret goes in (the key stays in an environment variable), so the
// page needs no admin API call and works as a plain GET form.
import { html } from "hono/html";
import {
  CLIENT_TEMPLATES,
  type ClientConfig,
  ClientConfigError,
  DEFAULT_CLIENT_MODEL,
  DEFAULT_KEY_ENV,
  findClientTemplate,
  isRouteFamily,
  ROUTE_FAMILIES,
  ROUTE_PATHS,
  renderClientConfig,
} from "../client-configs/index.ts";
import { type Html, href } from "./layout.ts";

export interface ClientSetupQuery {
  client?: string;
  route?: string;
  model?: string;
  keyEnv?: string;
  url?: string;
}

const ROUTE_LABELS: Record<string, string> = {
  chat: "Chat Completions (/v1/chat/completions)",
  responses: "Responses (/v1/responses)",
  codex: "Codex backend (/backend-api/codex/responses)",
};

/** Renders the picker and, when a client is chosen, its files; `status` is 400 for bad input. */
export function clientSetupPage(q: ClientSetupQuery, origin: string): { body: Html; status: 200 | 400 } {
  const asked = q.client?.trim() || "codex-cli";
  // An alias (`openai-sdk`) selects its client (`openai-compatible`) in the picker.
  const client = findClientTemplate(asked)?.id ?? asked;
  const url = q.url?.trim() || origin;
  const model = q.model?.trim() || DEFAULT_CLIENT_MODEL;
  const keyEnv = q.keyEnv?.trim() || DEFAULT_KEY_ENV;
  const route = q.route?.trim() ?? "";
  let config: ClientConfig | undefined;
  let error: string | undefined;
  try {
    if (route && !isRouteFamily(route)) {
      throw new ClientConfigError(`route must be one of: ${ROUTE_FAMILIES.join(", ")}`, "route");
    }
    config = renderClientConfig(client, {
      url,
      model,
      keyEnv,
      route: isRouteFamily(route) ? route : undefined,
    });
  } catch (e) {
    if (!(e instanceof ClientConfigError)) throw e;
    error = e.message;
  }
  const clientOptions = CLIENT_TEMPLATES.map(
    (t) =>
      html`<option value="${t.id}"${t.id === client ? html` selected` : ""}>${t.name} (${t.routes.join(", ")})</option>`,
  );
  const routeOptions = ROUTE_FAMILIES.map(
    (r) => html`<option value="${r}"${r === route ? html` selected` : ""}>${ROUTE_LABELS[r] ?? r}</option>`,
  );
  const field = (id: string, label: string, control: Html, wide = false) =>
    html`<div class="field${wide ? " wide" : ""}"><label for="${id}">${label}</label>${control}</div>`;
  const body = html`<form method="get" action="${href("/clients")}" class="stack" data-form="client-setup">
      <div class="row">
        ${field("client", "Client", html`<select id="client" name="client">${clientOptions}</select>`)}
        ${field(
          "client-route",
          "Route family",
          html`<select id="client-route" name="route">
            <option value="">the client's default</option>
            ${routeOptions}
          </select>`,
        )}
        ${field(
          "client-model",
          "Model",
          html`<input id="client-model" name="model" value="${model}" autocomplete="off" spellcheck="false" />`,
        )}
      </div>
      <div class="row">
        ${field(
          "client-url",
          "Gateway URL",
          html`<input id="client-url" name="url" value="${url}" type="url" autocomplete="off" spellcheck="false" />`,
          true,
        )}
        ${field(
          "client-key-env",
          "Key environment variable",
          html`<input id="client-key-env" name="keyEnv" value="${keyEnv}" autocomplete="off" spellcheck="false" />`,
        )}
      </div>
      <div><button type="submit">Show config</button></div>
    </form>
    ${error ? html`<p class="error" role="alert">${error}</p>` : ""} ${config ? configView(config) : ""}`;
  return { body, status: error ? 400 : 200 };
}

function configView(config: ClientConfig): Html {
  const files = config.files.map((file, i) => {
    const id = `config-file-${i}`;
    const heading =
      file.kind === "file" ? html`Save as <code>${file.path}</code>` : html`Run in a ${file.path}`;
    return html`<article class="config-file">
      <h3>${heading}</h3>
      <p>${file.note}</p>
      <pre id="${id}" tabindex="0" aria-label="${file.kind === "file" ? file.path : `${file.path} snippet`}"><code>${file.content}</code></pre>
      <button type="button" class="secondary" data-copy-from="${id}">Copy</button>
    </article>`;
  });
  return html`<section aria-labelledby="h-config" class="config">
    <h2 id="h-config">${config.name}</h2>
    <p>
      Sends <code>${ROUTE_PATHS[config.route]}</code> requests to <code>${config.baseUrl}</code> with the Pool API
      key from <code>$${config.keyEnv}</code>, model <code>${config.model}</code>. Guide in the repository:
      <code>${config.doc}</code>.
    </p>
    <p>
      Create a key on the <a href="${href("/keys")}">Keys</a> page, then put it in the environment, for example
      <code>export ${config.keyEnv}=sk-cxp-…</code>. The files below never contain the key.
    </p>
    ${files}
  </section>`;
}
