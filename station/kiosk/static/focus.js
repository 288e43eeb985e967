// The scan field keeps the focus (a keyboard-wedge scanner types into it), unless the worker
// is typing in a form field of the sheet.

import { $ } from "./dom.js";

function typingElsewhere() {
  const el = document.activeElement;
  return el && el !== $("scan") && el.matches("input, select, textarea");
}

export function refocus() {
  if (!typingElsewhere()) $("scan").focus({ preventScroll: true });
}

export function installFocus() {
  $("scan").addEventListener("blur", () => setTimeout(refocus, 0));
  document.addEventListener("click", () => setTimeout(refocus, 0));
  window.addEventListener("focus", refocus);
  document.addEventListener("visibilitychange", refocus);
}
