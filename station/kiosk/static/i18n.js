// Words: the page's own strings and the station's message templates, translated with
// /kiosk/messages.json; masses in kg; codes of the catalogue and states by their names.
// Strings of the kiosk's modules are marked with t() or N_() so a test can check that each
// has a Chinese translation in translations/zh_Hans_CN/kiosk.po.

import { catalogueCodes, state } from "./state.js";

const locale = document.documentElement.dataset.locale;
const nameKey = locale === "en" ? "en" : "zh-CN";
let messages = {};

export async function loadMessages() {
  try {
    const response = await fetch("/kiosk/messages.json", { cache: "no-store" });
    messages = await response.json();
  } catch (err) {
    messages = {};
  }
}

export function t(msgid) {
  return messages[msgid] || msgid;
}

// Marks a string for translation where it is written; t() translates it where it is shown.
export const N_ = (msgid) => msgid;

export function kg(grams) {
  if (grams === null || grams === undefined) return "—";
  return (grams / 1000).toFixed(3) + " kg";
}

export function nameOf(item) {
  if (item === null || item === undefined) return "";
  if (typeof item === "string") return item;
  const name = item.name !== undefined ? item.name : item;
  if (typeof name === "string") return name;
  return name[nameKey] || name.en || item.code || "";
}

export const STATUS = {
  stable: N_("Stable"),
  motion: N_("Moving"),
  overload: N_("Overload"),
  underload: N_("Underload"),
  disconnected: N_("Disconnected"),
  error: N_("Error"),
};
export const LOT_STATES = { new: N_("not opened"), open: N_("open"), sealed: N_("sealed"),
                            shipped: N_("shipped"), received: N_("received") };

// `message.template` (a Python %-format with named params) translated, then filled in.
// Params named *_g are integer grams, shown in kg (a " g" after one in the template is
// dropped); codes of the catalogue and states are shown by their names.
// A value longer than LONGEST characters (a 300-character barcode) is cut with an ellipsis,
// unless `whole` (the message box's title carries it whole).
const LONGEST = 48;
export function format(message, whole = false) {
  if (!message) return "";
  const params = message.params || {};
  return t(message.template).replace(/%\((\w+)\)[sdi]( g\b)?|%%/g, (match, key, grams) => {
    if (match === "%%") return "%";
    const value = params[key];
    if (value === undefined || value === null) return "";
    if (key.endsWith("_g") && typeof value === "number") return kg(value);
    const text = paramText(key, value);
    return (whole || text.length <= LONGEST ? text : text.slice(0, LONGEST - 1) + "…")
      + (grams || "");
  });
}

const CODED = { category: "categories", fraction: "fractions", lot_fraction: "fractions",
                component: "components", reason: "absent_reasons" };

function paramText(key, value) {
  if (typeof value === "object") return nameOf(value);
  if (CODED[key]) return nameOf(catalogueCodes(CODED[key])[value]) || String(value);
  if (key === "steps") return String(value).split(", ").map(stepName).join(nameKey === "en" ? ", " : "、");
  if (key === "status" && STATUS[value]) return t(STATUS[value]);
  if (key === "state" && LOT_STATES[value]) return t(LOT_STATES[value]);
  return t(String(value));
}

function stepName(code) {
  const step = state && state.unit && (state.unit.steps || []).find((s) => s.code === code);
  if (step) return nameOf(step);
  const [kind, target] = code.split(":");
  const part = { component: "components", output: "fractions" }[kind];
  return (part && nameOf(catalogueCodes(part)[target])) || code;
}
