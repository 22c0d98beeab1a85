// Client setup: the page is rendered on the server; this adds the Copy buttons.
import { announce, copyText } from "./feedback.js";

export function init() {
  for (const button of document.querySelectorAll("[data-copy-from]")) {
    button.addEventListener("click", async () => {
      const text = document.getElementById(button.dataset.copyFrom)?.textContent ?? "";
      announce(
        (await copyText(text)) ? "Copied to the clipboard." : "Copy failed: select the text and copy it.",
      );
    });
  }
}
