// Small DOM helpers: elements are found by their data-testid, the suite's selectors too.

export const byTestId = (id, root = document) => root.querySelector(`[data-testid="${id}"]`);

export function show(element, text) {
  if (text !== undefined) element.textContent = text;
  element.hidden = false;
}

export function hide(element) {
  element.hidden = true;
  element.textContent = "";
}

export function el(tag, attributes = {}, text) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

// Repeats `work` every `ms` while `active()` is true; returns a function that stops it.
export function every(ms, work, active = () => true) {
  let timer = null;
  let stopped = false;
  const tick = async () => {
    if (stopped || !active()) return;
    try {
      await work();
    } finally {
      if (!stopped) timer = setTimeout(tick, ms);
    }
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
