// The page's elements: found by id, and made.

export const $ = (id) => document.getElementById(id);

export function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}
