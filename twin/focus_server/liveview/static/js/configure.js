// The configure form: every rule of rules.js next to its field (aria-invalid), submit
// disabled while any rule fails, and the server's own errors (400, 503 capacity) shown.

import { api } from "./api.js";
import { byTestId, hide, show } from "./dom.js";
import { toRequest, validate } from "./rules.js";

const form = () => byTestId("configure-form");
const fieldId = (name) => name.replace(".", "-");
// A server error names the top-level field (channels); mark its first input.
const SERVER_FIELDS = { channels: "channels.min", frequencyRange: "frequencyRange.min" };

function values() {
  const data = {};
  for (const element of form().elements) if (element.name) data[element.name] = element.value;
  return data;
}

function render(errors) {
  for (const element of form().elements) {
    if (!element.name) continue;
    const message = errors[element.name];
    const slot = byTestId(`error-${fieldId(element.name)}`);
    slot.textContent = message || "";
    if (message) element.setAttribute("aria-invalid", "true");
    else element.removeAttribute("aria-invalid");
  }
  byTestId("configure-submit").disabled = Object.keys(errors).length > 0;
}

export function check() {
  const errors = validate(values());
  render(errors);
  return errors;
}

function serverError(error) {
  let message = error.message;
  if (error.code === "CAPACITY_EXCEEDED") {
    const retry = error.retryAfter ? ` Retry in ${error.retryAfter} s.` : "";
    message = `Capacity reached: ${error.message}.${retry}`;
  }
  show(byTestId("configure-server-error"), `${error.status} ${error.code || ""}: ${message}`);
  const name = SERVER_FIELDS[error.field] || error.field;
  const element = name && form().elements.namedItem(name);
  if (element) {
    element.setAttribute("aria-invalid", "true");
    byTestId(`error-${fieldId(name)}`).textContent = error.message;
  }
}

export function setUp(openTask) {
  form().addEventListener("input", () => {
    hide(byTestId("configure-server-error"));
    check();
  });
  form().addEventListener("submit", async (event) => {
    event.preventDefault();
    if (Object.keys(check()).length) return;
    const submit = byTestId("configure-submit");
    submit.disabled = true;
    hide(byTestId("configure-server-error"));
    try {
      const task = await api.configure(toRequest(values()));
      openTask(task.task_id);
    } catch (error) {
      if (error.status !== 401) serverError(error);
    } finally {
      submit.disabled = Object.keys(validate(values())).length > 0;
    }
  });
}

export function enter() {
  check();
  document.body.dataset.ready = "configure";
  // Milliseconds from the navigation's start until the form could be used (benchmarks/ui.py).
  if (!document.body.dataset.firstReadyMs) document.body.dataset.firstReadyMs = String(performance.now());
}
