// The kiosk page's behaviour: poll the station's state, render it, send scans and actions.
//
// One idea a module: i18n.js (words), state.js (the state last fetched), render.js (the page
// drawn from it), sound.js, focus.js (the scan field keeps the focus), scanner.js (scanner
// input), send.js (scans and actions posted in order), polling.js, sheet.js and actions.js
// (what the buttons do). This module starts them, in this order.

import { installActions } from "./actions.js";
import { installFocus, refocus } from "./focus.js";
import { loadMessages } from "./i18n.js";
import { poll } from "./polling.js";
import { installScanner } from "./scanner.js";
import { installSheet } from "./sheet.js";
import { installSound } from "./sound.js";

installFocus();
installSound();
installScanner();
installActions();
installSheet();

async function start() {
  await loadMessages();
  refocus();
  poll();
}

start();
