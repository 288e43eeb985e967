// Actions: what the page's buttons do. An action that needs nothing more is sent at once;
// one that needs a choice or a form opens the sheet first. The language buttons set the
// kiosk's cookie and reload.

import { element } from "./dom.js";
import { N_, nameOf, t } from "./i18n.js";
import { act } from "./send.js";
import { choices, closeSheet, confirmSheet, field, formSheet, openSheet, picker } from "./sheet.js";
import { state } from "./state.js";

function chooseAndAct(action, fieldName, part, title, chosen) {
  openSheet(t(title), choices((state.catalogue && state.catalogue[part]) || [], (code) => {
    closeSheet();
    act(action, { [fieldName]: code });
  }, chosen));
}

// Where a unit came from: the station's list (ledger.rules.codes.SOURCES, with its names).
function sources() {
  const found = {};
  for (const item of (state.catalogue && state.catalogue.sources) || []) found[item.code] = nameOf(item);
  return found;
}

// What the fund's tables need to know of this category, read off the nameplate (the
// catalogue's `nameplate`, from ledger/fund/nameplate.py): first, as they decide the subsidy.
function fundFields(unit, known) {
  const asked = ((state.catalogue && state.catalogue.nameplate) || {})[unit.category] || [];
  return asked.map((spec) => {
    if (spec.kind === "choice") {
      const options = {};
      for (const choice of spec.choices) options[choice.code] = nameOf(choice);
      return picker(spec.field, nameOf(spec), options, known[spec.field]);
    }
    return field(spec.field, nameOf(spec), known[spec.field],
                 spec.kind === "number" ? { inputMode: "numeric" } : {});
  });
}

function detailsSheet() {
  const unit = state.unit || {};
  const known = unit.details || {};
  formSheet(N_("Nameplate details"), [
    ...fundFields(unit, known),
    field("brand", N_("Brand"), known.brand),
    field("model", N_("Model"), known.model),
    field("serial", N_("Serial number"), known.serial),
    field("nameplate_refrigerant", N_("Nameplate refrigerant"), known.nameplate_refrigerant,
          { placeholder: "R-600a" }),
    field("nameplate_charge_g", N_("Nameplate charge (g)"), known.nameplate_charge_g,
          { inputMode: "numeric" }),
    picker("source", N_("Source channel"), sources(), known.source),
    field("trade_in_code", N_("Trade-in code"), unit.trade_in_code),
  ], (values) => act("set_details", values));
}

function absentSheet() {
  const note = field("note", N_("Note (optional)"), "");
  const reasons = choices((state.catalogue && state.catalogue.absent_reasons) || [], (code) => {
    const text = note.querySelector("input").value.trim();
    closeSheet();
    act("refrigerant_absent", text ? { reason: code, note: text } : { reason: code });
  });
  openSheet(t("Why is there no refrigerant to recover?"), reasons, note);
}

function componentSheet() {
  let count = 1;
  const stepper = element("div", "stepper");
  const less = element("button", "button secondary", "−");
  const more = element("button", "button secondary", "+");
  const shown = element("output", "", "1");
  less.type = more.type = "button";
  less.addEventListener("click", () => { count = Math.max(1, count - 1); shown.textContent = count; });
  more.addEventListener("click", () => { count += 1; shown.textContent = count; });
  const weigh = element("button", "button secondary toggle", t("Weigh it on the platform scale"));
  weigh.type = "button";
  weigh.setAttribute("aria-pressed", "true");
  weigh.addEventListener("click", () => {
    weigh.setAttribute("aria-pressed", String(weigh.getAttribute("aria-pressed") !== "true"));
  });
  stepper.append(element("span", "", t("How many")), less, shown, more, weigh);
  const next = state.unit && state.unit.next && state.unit.next.startsWith("component:")
    ? state.unit.next.split(":")[1] : undefined;
  const components = choices((state.catalogue && state.catalogue.components) || [], (code) => {
    const fields = { component: code, count: String(count) };
    if (weigh.getAttribute("aria-pressed") === "true") fields.weigh = "1";
    closeSheet();
    act("component", fields);
  }, next);
  openSheet(t("Which component was removed?"), stepper, components);
}

function selectedLot() {
  const lot = state.selected && state.selected.lot;
  return (state.lots || []).find((l) => l.lot === lot);
}

// The fraction the unit's next step expects, if it is an output.
function nextFraction() {
  const next = state.unit && state.unit.next;
  return next && next.startsWith("output:") ? next.split(":")[1] : undefined;
}

// With an open lot scanned, its fraction is known: weigh straight away.
function weighOutput() {
  const lot = selectedLot();
  if (lot && lot.state === "open" && lot.fraction) return act("output", { fraction: lot.fraction });
  return chooseAndAct("output", "fraction", "fractions", N_("Which fraction is on the scale?"),
                      nextFraction());
}

const SHEETS = {
  select_category: () => chooseAndAct("select_category", "category", "categories",
                                       N_("Which kind of appliance is it?")),
  set_details: detailsSheet,
  refrigerant_absent: absentSheet,
  component: componentSheet,
  output: weighOutput,
  open_lot: () => chooseAndAct("open_lot", "fraction", "fractions", N_("Open a lot for which fraction?"),
                               nextFraction()),
  // A unit weighed in is put aside (its label resumes it); a draft intake is dropped.
  cancel: () => (state.unit && state.unit.received
    ? confirmSheet(N_("Put this unit aside? Scan its label to continue later."),
                   N_("Yes, put it aside"), () => act("cancel"))
    : confirmSheet(N_("Cancel this intake? Nothing has been recorded for it."),
                   N_("Yes, cancel the intake"), () => act("cancel"))),
};

function switchLanguage(code) {
  const year = 60 * 60 * 24 * 365;
  document.cookie = `${document.documentElement.dataset.cookie}=${code}; path=/; max-age=${year}; SameSite=Strict`;
  window.location.reload();
}

export function installActions() {
  document.addEventListener("click", (event) => {
    const target = event.target.closest("[data-action], [data-language], [data-close]");
    if (!target) return;
    if (target.dataset.close !== undefined) return closeSheet();
    if (target.dataset.language) return switchLanguage(target.dataset.language);
    const action = target.dataset.action;
    if (SHEETS[action]) return SHEETS[action]();
    act(action);
  });
}
