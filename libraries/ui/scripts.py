"""The page-side JavaScript of the liveView keywords, built from typed values.

Robot-free and Browser-free: each function returns the source of one JavaScript function
that Browser's ``Wait For Function`` polls or ``Evaluate JavaScript`` runs in the page.
Values are embedded with ``json.dumps`` (quoted, escaped), never pasted as text, so an
id or a selector can not change the script. Selectors are CSS (``css=`` stripped):
the page looks them up with ``document.querySelector``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

CSS_PREFIX = "css="


def css(selector: str) -> str:
    """The CSS of a Browser selector: ``css=[data-testid="x"]`` -> ``[data-testid="x"]``.

    In-page scripts look elements up themselves, so only a single CSS selector will do
    (no ``>>`` chains, no text or XPath engines)."""
    text = selector.strip()
    if text.startswith(CSS_PREFIX):
        text = text[len(CSS_PREFIX) :].strip()
    engine = "=" in text.split("[", 1)[0] or text.startswith(("/", "(", ".."))
    if not text or ">>" in text or engine:
        raise ValueError(f"an in-page check takes one CSS selector (css=...), got {selector!r}")
    return text


def _js(value: object) -> str:
    return json.dumps(value)


def body_data_is(name: str, values: Sequence[str]) -> str:
    """``document.body.dataset[name]`` is one of ``values``."""
    return f"() => {_js(list(values))}.includes(document.body.dataset[{_js(name)}])"


def body_data_is_not(name: str, values: Sequence[str]) -> str:
    """``document.body.dataset[name]`` is none of ``values``."""
    return f"() => !{_js(list(values))}.includes(document.body.dataset[{_js(name)}])"


def body_number_at_least(name: str, minimum: float) -> str:
    """``Number(document.body.dataset[name]) >= minimum``."""
    return f"() => Number(document.body.dataset[{_js(name)}]) >= {_js(minimum)}"


def element_data_is(selector: str, name: str, value: str) -> str:
    """The first element of ``selector`` exists and its ``dataset[name]`` equals ``value``."""
    return (
        f"() => document.querySelector({_js(css(selector))})?.dataset[{_js(name)}] === {_js(value)}"
    )


def element_number_at_least(selector: str, name: str, minimum: float) -> str:
    """The first element of ``selector`` has ``Number(dataset[name]) >= minimum``."""
    return (
        f"() => Number(document.querySelector({_js(css(selector))})?.dataset[{_js(name)}]) "
        f">= {_js(minimum)}"
    )


def element_visible(selector: str) -> str:
    """The first element of ``selector`` exists and is visible (``checkVisibility``)."""
    return f"() => document.querySelector({_js(css(selector))})?.checkVisibility() === true"


def element_count_is(selector: str, count: int) -> str:
    """``selector`` matches exactly ``count`` elements."""
    return f"() => document.querySelectorAll({_js(css(selector))}).length === {_js(count)}"


# Evaluated once with Browser's ``Evaluate JavaScript`` (``arg`` carries the values).

ELEMENT_DATA = "(query) => document.querySelector(query.selector)?.dataset[query.name] ?? null"

# A number, or null when the page has no such counter (JSON has no NaN).
BODY_NUMBER = """(name) => {
  const value = Number(document.body.dataset[name]);
  return Number.isFinite(value) ? value : null;
}"""

SET_VALUE = "(element, value) => { element.value = value; }"

DISTINCT_COLOURS = """(canvas) => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const seen = new Set();
  for (let i = 0; i < data.length; i += 4) {
    seen.add(data[i] + ',' + data[i + 1] + ',' + data[i + 2]);
  }
  return seen.size;
}"""

COLUMN_BRIGHTNESS = """(canvas) => {
  const w = canvas.width, h = canvas.height;
  const data = canvas.getContext('2d').getImageData(0, 0, w, h).data;
  const columns = new Array(w).fill(0);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = (y * w + x) * 4;
    columns[x] += (0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]) / h;
  }
  return columns;
}"""

DATA_AND_COUNT = """(query) => ({
  value: document.querySelector(query.element)?.dataset[query.name] ?? null,
  count: document.querySelectorAll(query.rows).length,
})"""

ATTRIBUTE_OF_EACH = """(query) => [...document.querySelectorAll(query.selector)]
  .map((element) => element.getAttribute(query.name))"""

INPUTS_WITHOUT_LABEL = """(form) => [
  ...form.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter((input) => !((input.labels && [...input.labels].some((label) => label.textContent.trim()))
    || (input.getAttribute('aria-label') || '').trim()))
  .map((input) => input.dataset.testid || input.name || input.id || input.outerHTML.slice(0, 80))"""

INPUT_COUNT = "(form) => form.querySelectorAll('input:not([type=hidden]), select, textarea').length"

RECORD_ROW_ARRIVALS = """(query) => {
  window.__rowArrivals = {};
  const list = document.querySelector(query.list);
  if (!list) return false;
  new MutationObserver((changes) => {
    for (const change of changes) for (const node of change.addedNodes) {
      const id = node.getAttribute && node.getAttribute(query.id);
      if (id && !(id in window.__rowArrivals)) window.__rowArrivals[id] = Date.now();
    }
  }).observe(list, { childList: true });
  return true;
}"""

ROW_ARRIVAL = "(id) => (window.__rowArrivals ? window.__rowArrivals[id] ?? null : undefined)"

ROW_ARRIVALS = "() => window.__rowArrivals ?? null"

MARK_PAGE = "() => { window.__notReloaded = true; return true; }"

PAGE_MARKED = "() => window.__notReloaded === true"

HOLD_BACK_ANSWERS = """(held) => {
  const original = window.fetch;
  window.__heldBack = { started: 0, answered: 0 };
  window.fetch = async (url, init) => {
    const late = new URL(String(url), window.location.href).pathname.endsWith(held.path);
    if (late) window.__heldBack.started += 1;
    const response = await original(url, init);
    if (late) {
      await new Promise((done) => setTimeout(done, held.ms));
      // Counted a moment after the page got the answer, once its own code has used it.
      setTimeout(() => { window.__heldBack.answered += 1; }, 100);
    }
    return response;
  };
  return true;
}"""

HELD_BACK = "(what) => (window.__heldBack ? window.__heldBack[what] : null)"


def held_back_at_least(what: str, count: int) -> str:
    """A page function, true once ``count`` requests were held back (``started``) or
    their answers delivered (``answered``)."""
    return f"() => (window.__heldBack?.{what} ?? 0) >= {int(count)}"


FONTS_READY = "() => document.fonts.ready.then(() => document.fonts.status)"

BOUNDING_BOXES = """(elements, page) => elements.map((element) => {
  const box = element.getBoundingClientRect();
  const dx = page ? window.scrollX : 0, dy = page ? window.scrollY : 0;
  return { x: box.x + dx, y: box.y + dy, width: box.width, height: box.height };
})"""

READ_COOKIE = "() => document.cookie"
