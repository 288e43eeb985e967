// Scanner input: what is typed into the scan field (a keyboard-wedge scanner ends it with
// Enter) is sent to the station as a scan, like a serial scanner's.

import { $ } from "./dom.js";
import { send } from "./send.js";

export function installScanner() {
  const scan = $("scan");
  $("scan-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = scan.value.trim();
    scan.value = "";
    if (text) send("/api/scan", { text });
  });
}
