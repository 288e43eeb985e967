// The sheet: the dialog over the page in which an action asks what it needs (a choice of
// codes, a form, a confirmation), and the widgets it is made of.

import { $, element } from "./dom.js";
import { N_, nameOf, t } from "./i18n.js";

export function openSheet(title, ...children) {
  $("sheet-title").textContent = title;
  $("sheet-body").replaceChildren(...children);
  $("sheet").hidden = false;
}

export function closeSheet() {
  $("sheet").hidden = true;
  $("sheet-body").replaceChildren();
}

// Closed by its Close button ([data-close], see actions.js) or a tap beside its box.
export function installSheet() {
  const sheet = $("sheet");
  sheet.addEventListener("click", (event) => {
    if (event.target === sheet) closeSheet();
  });
}

// A grid of buttons, one per item (a code, or a catalogue entry with its name).
export function choices(items, onChoose, chosen) {
  const grid = element("div", "choices");
  for (const item of items) {
    const code = typeof item === "string" ? item : item.code;
    const button = element("button", "button secondary", nameOf(item) || code);
    button.type = "button";
    button.dataset.choice = code;
    if (item.hazardous) button.classList.add("hazard");
    if (code === chosen) button.classList.add("chosen");
    button.addEventListener("click", () => onChoose(code));
    grid.append(button);
  }
  return grid;
}

export function field(name, label, value, attributes) {
  const wrap = element("label", "field", t(label));
  const input = element("input");
  input.name = name;
  input.autocomplete = "off";
  input.value = value === null || value === undefined ? "" : String(value);
  Object.assign(input, attributes || {});
  wrap.append(input);
  return wrap;
}

export function picker(name, label, options, value) {
  const wrap = element("label", "field", t(label));
  const select = element("select");
  select.name = name;
  select.append(element("option", "", "—"));
  select.firstChild.value = "";
  for (const [code, text] of Object.entries(options)) {
    const option = element("option", "", t(text));
    option.value = code;
    option.selected = code === value;
    select.append(option);
  }
  wrap.append(select);
  return wrap;
}

function submitRow(label) {
  const row = element("div", "sheet-foot");
  const button = element("button", "button go", t(label));
  button.type = "submit";
  row.append(button);
  return row;
}

// A form of `fields`; `onSubmit` receives its values, trimmed, once the sheet is closed.
export function formSheet(title, fields, onSubmit) {
  const form = element("form", "sheet-form");
  const grid = element("div", "fields");
  grid.append(...fields);
  form.append(grid, submitRow(N_("Save")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = {};
    for (const [key, value] of new FormData(form)) values[key] = String(value).trim();
    closeSheet();
    onSubmit(values);
  });
  openSheet(t(title), form);
  form.querySelector("input").focus();
}

// A question with one button that answers yes.
export function confirmSheet(question, yes, onYes) {
  const row = element("div", "sheet-foot");
  const button = element("button", "button danger", t(yes));
  button.type = "button";
  button.addEventListener("click", () => { closeSheet(); onYes(); });
  row.append(button);
  openSheet(t(question), row);
}
