// Rendering: the page drawn from the station's state, each region only when what it is
// drawn from changed (so buttons under a finger are not replaced between press and
// release); every new outcome shown and sounded once.

import { $, element } from "./dom.js";
import { LOT_STATES, N_, STATUS, format, kg, nameOf, t } from "./i18n.js";
import { beep } from "./sound.js";
import { catalogueCodes, state } from "./state.js";

let shown = undefined; // the station's last outcome as drawn (JSON); undefined before the first state
const drawn = {}; // region -> what it was last drawn from, so unchanged regions are left alone

// Draw `region` from `data` only when `data` differs from last time.
function changed(region, data) {
  const key = JSON.stringify(data);
  if (drawn[region] === key) return false;
  drawn[region] = key;
  return true;
}

export function render() {
  const signedIn = Boolean(state.operator);
  document.body.dataset.signedIn = String(signedIn);
  renderBar(signedIn);
  $("prompt").textContent = format(state.prompt);
  renderScales();
  renderCylinder();
  renderUnit();
  renderActions();
  renderLots();
  renderLast();
}

function renderBar(signedIn) {
  $("station-id").textContent = state.station.id;
  $("station-name").textContent = state.station.name || "";
  $("operator").hidden = !signedIn;
  $("operator-badge").textContent = signedIn ? state.operator.badge : "";
  const box = state.outbox;
  const outbox = $("outbox");
  // online: null until the first delivery attempt
  outbox.dataset.online = box.online === null ? "unknown" : String(box.online);
  $("outbox-link").textContent = box.online === null ? t("Connecting…")
    : box.online ? t("Online") : t("Offline");
  $("outbox-pending").textContent = t("Waiting to send") + " " + box.pending;
  $("outbox-held").textContent = t("Held") + " " + box.held;
  $("outbox-held").dataset.alert = String(box.held > 0);
  outbox.title = box.last_error || "";
}

const ROLE = { platform: N_("Platform scale"), cylinder: N_("Cylinder scale") };

function renderScales() {
  const scales = state.scales || [];
  const box = $("scales");
  if (changed("scales-shape", scales.map((s) => s.name))) {
    box.replaceChildren(...scales.map(() => {
      const card = element("div", "scale");
      card.append(element("span", "scale-name"), element("span", "scale-status"),
                  element("span", "scale-mass"), element("span", "scale-note"));
      return card;
    }));
  }
  scales.forEach((scale, i) => {
    const card = box.children[i];
    card.dataset.status = scale.status;
    card.querySelector(".scale-name").textContent =
      scale.name + " · " + t(ROLE[scale.role] || scale.role);
    card.querySelector(".scale-status").textContent =
      STATUS[scale.status] ? t(STATUS[scale.status]) : scale.status;
    card.querySelector(".scale-mass").textContent =
      scale.status === "disconnected" ? kg(null) : kg(scale.mass_g);
    card.querySelector(".scale-note").textContent = scale.message || "";
    card.title = scale.message || "";
  });
}

function renderUnit() {
  const unit = state.unit;
  $("unit").hidden = !unit;
  if (!unit || !changed("unit", unit)) return;
  $("unit-label").textContent = unit.label;
  $("unit-category").textContent = nameOf(unit.category_name) || unit.category || "";
  const figures = [t("Gross") + " " + kg(unit.gross_g)];
  if (unit.refrigerant_bearing) figures.push(t("Refrigerant recovered") + " " + kg(unit.recovered_g));
  figures.push(t("Outputs") + " " + (unit.outputs || []).length + " (" + kg(unit.outputs_g) + ")");
  $("unit-figures").replaceChildren(...figures.map((text) => element("span", "figure", text)));
  $("steps").replaceChildren(...(unit.steps || []).map((step) => {
    const item = element("li", "step");
    item.dataset.done = String(Boolean(step.done));
    item.dataset.next = String(step.code === unit.next);
    item.dataset.step = step.code;
    const body = element("span", "step-body");
    body.append(element("span", "step-name", nameOf(step)));
    if (step.required && !step.done) body.append(element("span", "step-required", t("Required")));
    item.append(element("span", "step-mark"), body);
    if (step.count > 1) item.append(element("span", "step-count", "×" + step.count));
    return item;
  }));
}

function renderCylinder() {
  const cylinder = state.cylinder;
  const line = $("cylinder");
  line.hidden = !cylinder;
  if (!cylinder || !changed("cylinder", cylinder)) return;
  const parts = [t("Cylinder") + " " + cylinder.id + (cylinder.refrigerant ? " (" + cylinder.refrigerant + ")" : "")];
  if (cylinder.before_g !== null && cylinder.before_g !== undefined) parts.push(t("before") + " " + kg(cylinder.before_g));
  if (cylinder.max_gross_g) parts.push(t("limit") + " " + kg(cylinder.max_gross_g));
  line.replaceChildren(...parts.map((text) => element("span", "figure", text)));
}

const ACTIONS = {
  weigh_intake: N_("Weigh"),
  select_category: N_("Choose category"),
  set_details: N_("Enter nameplate details"),
  recovery_before: N_("Weigh before"),
  recovery_after: N_("Weigh after"),
  refrigerant_absent: N_("No refrigerant"),
  component: N_("Remove a component"),
  output: N_("Weigh output"),
  complete: N_("Complete"),
  open_lot: N_("Open a lot"),
  seal_lot: N_("Seal the lot"),
};
const STYLE = { complete: "go", cancel: "danger", seal_lot: "secondary", open_lot: "secondary" };

function actionLabel(action) {
  if (action === "cancel" && state.unit) {
    return t(state.unit.received ? N_("Put the unit aside") : N_("Cancel the intake"));
  }
  return ACTIONS[action] ? t(ACTIONS[action]) : action;
}

function renderActions() {
  const actions = (state.actions || []).filter((a) => a !== "sign_out");
  if (!changed("actions", [actions, Boolean(state.unit && state.unit.received)])) return;
  $("actions").replaceChildren(...actions.map((action) => {
    const button = element("button", "button " + (STYLE[action] || ""), actionLabel(action));
    button.type = "button";
    button.dataset.action = action;
    return button;
  }));
}

function renderLots() {
  const lots = state.lots || [];
  const selected = state.selected ? state.selected.lot : null;
  if (!changed("lots", [lots, selected])) return;
  const fractions = catalogueCodes("fractions");
  $("lots").replaceChildren(...lots.map((lot) => {
    const item = element("li", "lot");
    item.dataset.state = lot.state;
    item.dataset.selected = String(lot.lot === selected);
    item.append(element("span", "lot-label", t("Lot")), element("span", "lot-code", lot.lot),
                element("span", "lot-fraction", nameOf(fractions[lot.fraction]) || lot.fraction),
                element("span", "lot-state", LOT_STATES[lot.state] ? t(LOT_STATES[lot.state]) : lot.state));
    return item;
  }));
}

// A new outcome (every one has its own `at`) is shown and sounded once; the one already
// there when the page loads is shown without a sound.
function renderLast() {
  const key = JSON.stringify(state.last);
  if (key === shown) return;
  const first = shown === undefined;
  shown = key;
  if (state.last) showOutcome(state.last, !first);
}

export function showOutcome(outcome, sound) {
  const flags = outcome.flags || [];
  const kind = !outcome.ok ? "refusal" : flags.length ? "flag" : "ok";
  const box = $("message");
  box.hidden = false;
  box.dataset.kind = kind;
  box.dataset.refusal = outcome.refusal || "";
  box.dataset.at = outcome.at || "";
  $("message-text").textContent = format(outcome.message);
  $("message-text").title = format(outcome.message, true);
  $("message-flags").replaceChildren(...flags.map((flag) => {
    const item = element("li", "flag", format(flag));
    item.dataset.code = flag.code;
    return item;
  }));
  if (sound) beep(kind);
}
