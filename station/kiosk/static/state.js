// The station's state as last fetched from /api/state (null before the first answer).

export let state = null;

export function setState(next) {
  state = next;
}

// One part of the catalogue in force (categories, fractions, ...), by code.
export function catalogueCodes(part) {
  const byCode = {};
  for (const item of (state && state.catalogue && state.catalogue[part]) || []) {
    byCode[typeof item === "string" ? item : item.code] = item;
  }
  return byCode;
}
