// Talking to the station: scans and actions posted in order with the page's token; each
// answer is shown unless the state fetched after it already shows it.

import { N_ } from "./i18n.js";
import { inTurn, refresh } from "./polling.js";
import { showOutcome } from "./render.js";
import { state } from "./state.js";

let token = document.querySelector('meta[name="kiosk-token"]').content;

export function send(url, body) {
  return inTurn(() => post(url, body));
}

export function act(action, fields) {
  return send("/api/act/" + encodeURIComponent(action), fields || {});
}

function request(url, body) {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Kiosk-Token": token },
    body: JSON.stringify(body),
  });
}

// The token is new each time the station agent starts: after a restart, take the new one
// from the page (same origin) so that the worker's scan is not lost.
async function renewToken() {
  const html = await (await fetch("/", { cache: "no-store" })).text();
  const meta = new DOMParser().parseFromString(html, "text/html")
    .querySelector('meta[name="kiosk-token"]');
  if (meta) token = meta.content;
}

async function post(url, body) {
  const before = JSON.stringify(state ? state.last : null);
  let outcome;
  try {
    let response = await request(url, body);
    if (response.status === 403) {
      await renewToken();
      response = await request(url, body);
    }
    const type = response.headers.get("Content-Type") || "";
    outcome = type.includes("json") ? await response.json() : null;
    if (!outcome || !outcome.message) {
      outcome = failure(N_("The station agent refused the request (HTTP %(status)s)."),
                        { status: response.status });
    }
  } catch (err) {
    outcome = failure(N_("The station agent does not answer: %(error)s"), { error: String(err) });
  }
  await refresh();
  if (!state || JSON.stringify(state.last) === before) showOutcome(outcome, true);
}

function failure(template, params) {
  return { ok: false, refusal: "agent", message: { template, params }, flags: [] };
}
