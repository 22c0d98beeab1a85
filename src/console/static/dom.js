// The console's DOM builder: elements get attributes and text only, never parsed HTML. Also the
// page's server-rendered config and the one check links from the API pass.

function append(el, children) {
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

function setProps(el, props) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
}

/** `h("td", { class: "num" }, "12")`: attributes and text only, never innerHTML. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";
/** `h` for SVG elements. */
export function s(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setProps(el, props);
  append(el, children);
  return el;
}

/** Empties `target` (an element or a selector) and fills it with `children`. */
export function replace(target, ...children) {
  const el = typeof target === "string" ? document.querySelector(target) : target;
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Only http(s) links from the API become hrefs. */
export function safeUrl(value) {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

/** The page's `<script data-console-config>` JSON (strategies, efforts, …). */
export function config() {
  const el = document.querySelector("script[data-console-config]");
  return el ? JSON.parse(el.textContent) : { strategies: [], efforts: [] };
}
