// Polling: the station's state fetched every POLL_MS and drawn; a poll waits for the scans and
// actions in flight (inTurn), so what it draws comes after them.

import { $ } from "./dom.js";
import { refocus } from "./focus.js";
import { render } from "./render.js";
import { setState } from "./state.js";

const POLL_MS = 300;
let queue = Promise.resolve(); // scans and actions go one after another, in order

// Runs `task` once every earlier one has ended.
export function inTurn(task) {
  queue = queue.then(task);
  return queue;
}

export async function refresh() {
  try {
    const response = await fetch("/api/state", { cache: "no-store" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    setState(await response.json());
    $("agent-down").hidden = true;
    render();
  } catch (err) {
    $("agent-down").hidden = false;
  }
  refocus();
}

export async function poll() {
  await queue.catch(() => undefined);
  await refresh();
  setTimeout(poll, POLL_MS);
}
