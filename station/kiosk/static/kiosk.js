// The kiosk page's behaviour: poll the station's state, render it, send scans and actions.
//
// The scan field keeps the focus (a keyboard-wedge scanner types into it and ends with
// Enter); every outcome is shown and sounded once; message templates from the station are
// translated with /kiosk/messages.json. Strings of this file are marked with t() or N_()
// so a test can check that each has a Chinese translation in translations/zh_Hans_CN/kiosk.po.
"use strict";

(() => {
  const POLL_MS = 300;
  const root = document.documentElement;
  const locale = root.dataset.locale;
  const nameKey = locale === "en" ? "en" : "zh-CN";
  let token = document.querySelector('meta[name="kiosk-token"]').content;
  const $ = (id) => document.getElementById(id);
  const scan = $("scan");

  let messages = {};
  let state = null;
  let shown = undefined; // the station's last outcome as drawn (JSON); undefined before the first state
  const drawn = {}; // region -> what it was last drawn from, so unchanged regions are left alone

  // -- words -----------------------------------------------------------------------------

  function t(msgid) {
    return messages[msgid] || msgid;
  }

  // Marks a string for translation where it is written; t() translates it where it is shown.
  const N_ = (msgid) => msgid;

  function kg(grams) {
    if (grams === null || grams === undefined) return "—";
    return (grams / 1000).toFixed(3) + " kg";
  }

  function nameOf(item) {
    if (item === null || item === undefined) return "";
    if (typeof item === "string") return item;
    const name = item.name !== undefined ? item.name : item;
    if (typeof name === "string") return name;
    return name[nameKey] || name.en || item.code || "";
  }

  // `message.template` (a Python %-format with named params) translated, then filled in.
  // Params named *_g are integer grams, shown in kg (a " g" after one in the template is
  // dropped); codes of the catalogue and states are shown by their names.
  // A value longer than LONGEST characters (a 300-character barcode) is cut with an ellipsis,
  // unless `whole` (the message box's title carries it whole).
  const LONGEST = 48;
  function format(message, whole = false) {
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
  const LOT_STATES = { new: N_("not opened"), open: N_("open"), sealed: N_("sealed"),
                       shipped: N_("shipped"), received: N_("received") };

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

  // -- sound -----------------------------------------------------------------------------

  let audio = null;
  const TONES = {
    ok: [[880, 0, 0.12, "sine"]],
    flag: [[660, 0, 0.16, "triangle"], [660, 0.24, 0.16, "triangle"], [990, 0.48, 0.2, "triangle"]],
    refusal: [[196, 0, 0.35, "square"], [147, 0.4, 0.55, "square"]],
  };

  function unlockAudio() {
    try {
      audio = audio || new AudioContext();
      if (audio.state === "suspended") audio.resume();
    } catch (err) {
      audio = null;
    }
  }

  function beep(kind) {
    unlockAudio();
    if (!audio) return;
    for (const [frequency, start, length, type] of TONES[kind]) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      const at = audio.currentTime + start;
      oscillator.type = type;
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.4, at + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + length);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(at);
      oscillator.stop(at + length + 0.02);
    }
  }

  // -- focus: the scan field has it unless the worker is typing in a form field ----------

  function typingElsewhere() {
    const el = document.activeElement;
    return el && el !== scan && el.matches("input, select, textarea");
  }

  function refocus() {
    if (!typingElsewhere()) scan.focus({ preventScroll: true });
  }

  scan.addEventListener("blur", () => setTimeout(refocus, 0));
  document.addEventListener("click", () => setTimeout(refocus, 0));
  window.addEventListener("focus", refocus);
  document.addEventListener("visibilitychange", refocus);
  document.addEventListener("pointerdown", unlockAudio, { once: true });
  document.addEventListener("keydown", unlockAudio, { once: true });

  // -- talking to the station ------------------------------------------------------------

  let queue = Promise.resolve(); // scans and actions go one after another, in order

  function send(url, body) {
    queue = queue.then(() => post(url, body));
    return queue;
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

  function act(action, fields) {
    return send("/api/act/" + encodeURIComponent(action), fields || {});
  }

  $("scan-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = scan.value.trim();
    scan.value = "";
    if (text) send("/api/scan", { text });
  });

  async function refresh() {
    try {
      const response = await fetch("/api/state", { cache: "no-store" });
      if (!response.ok) throw new Error("HTTP " + response.status);
      state = await response.json();
      $("agent-down").hidden = true;
      render();
    } catch (err) {
      $("agent-down").hidden = false;
    }
    refocus();
  }

  async function poll() {
    await queue.catch(() => undefined);
    await refresh();
    setTimeout(poll, POLL_MS);
  }

  // -- rendering -------------------------------------------------------------------------

  // Draw `region` from `data` only when `data` differs from last time, so buttons under a
  // finger are not replaced between press and release.
  function changed(region, data) {
    const key = JSON.stringify(data);
    if (drawn[region] === key) return false;
    drawn[region] = key;
    return true;
  }

  function element(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function render() {
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

  const STATUS = {
    stable: N_("Stable"),
    motion: N_("Moving"),
    overload: N_("Overload"),
    underload: N_("Underload"),
    disconnected: N_("Disconnected"),
    error: N_("Error"),
  };
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

  function catalogueCodes(part) {
    const byCode = {};
    for (const item of (state && state.catalogue && state.catalogue[part]) || []) {
      byCode[typeof item === "string" ? item : item.code] = item;
    }
    return byCode;
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

  function showOutcome(outcome, sound) {
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

  // -- buttons and the sheet -------------------------------------------------------------

  const sheet = $("sheet");

  function openSheet(title, ...children) {
    $("sheet-title").textContent = title;
    $("sheet-body").replaceChildren(...children);
    sheet.hidden = false;
  }

  function closeSheet() {
    sheet.hidden = true;
    $("sheet-body").replaceChildren();
  }

  function choices(items, onChoose, chosen) {
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

  function chooseAndAct(action, field, part, title, chosen) {
    openSheet(t(title), choices((state.catalogue && state.catalogue[part]) || [], (code) => {
      closeSheet();
      act(action, { [field]: code });
    }, chosen));
  }

  function field(name, label, value, attributes) {
    const wrap = element("label", "field", t(label));
    const input = element("input");
    input.name = name;
    input.autocomplete = "off";
    input.value = value === null || value === undefined ? "" : String(value);
    Object.assign(input, attributes || {});
    wrap.append(input);
    return wrap;
  }

  function picker(name, label, options, value) {
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

  function formSheet(title, fields, onSubmit) {
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

  // Where a unit came from: the station's list (ledger.rules.codes.SOURCES, with its names).
  function sources() {
    const found = {};
    for (const item of (state.catalogue && state.catalogue.sources) || []) found[item.code] = nameOf(item);
    return found;
  }

  function detailsSheet() {
    const unit = state.unit || {};
    const known = unit.details || {};
    formSheet(N_("Nameplate details"), [
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

  function confirmSheet(action, question, yes) {
    const row = element("div", "sheet-foot");
    const button = element("button", "button danger", t(yes));
    button.type = "button";
    button.addEventListener("click", () => { closeSheet(); act(action); });
    row.append(button);
    openSheet(t(question), row);
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
      ? confirmSheet("cancel", N_("Put this unit aside? Scan its label to continue later."),
                     N_("Yes, put it aside"))
      : confirmSheet("cancel", N_("Cancel this intake? Nothing has been recorded for it."),
                     N_("Yes, cancel the intake"))),
  };

  document.addEventListener("click", (event) => {
    const target = event.target.closest("[data-action], [data-language], [data-close]");
    if (!target) return;
    if (target.dataset.close !== undefined) return closeSheet();
    if (target.dataset.language) return switchLanguage(target.dataset.language);
    const action = target.dataset.action;
    if (SHEETS[action]) return SHEETS[action]();
    act(action);
  });

  sheet.addEventListener("click", (event) => {
    if (event.target === sheet) closeSheet();
  });

  function switchLanguage(code) {
    const year = 60 * 60 * 24 * 365;
    document.cookie = `${root.dataset.cookie}=${code}; path=/; max-age=${year}; SameSite=Strict`;
    window.location.reload();
  }

  // -- start -----------------------------------------------------------------------------

  async function start() {
    try {
      const response = await fetch("/kiosk/messages.json", { cache: "no-store" });
      messages = await response.json();
    } catch (err) {
      messages = {};
    }
    refocus();
    poll();
  }

  start();
})();
