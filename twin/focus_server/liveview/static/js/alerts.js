// The alerts panel: newest first, filtered by class, severity and time (the API's own
// filters), severity colours, a persistent acknowledge button, an empty state, and new
// alerts without a reload (the list is polled every POLL_MS).

import { api } from "./api.js";
import { byTestId, el, every, hide, show } from "./dom.js";

export const POLL_MS = 500;
const CLASSES = { 103: "SC", 104: "SD" };
const SEVERITIES = { 1: "low", 2: "medium", 3: "high" };
let stop = () => {};
let generation = 0;

function filters() {
  return {
    classId: byTestId("filter-class").value,
    severity: byTestId("filter-severity").value,
    since: byTestId("filter-since").value.trim(),
  };
}

function row(alert) {
  const item = el("li", { "data-testid": "alert-row" });
  const severity = el("span", { "data-testid": "alert-severity" });
  const label = el("span", { class: "class", "data-testid": "alert-class" });
  const time = el("time", { "data-testid": "alert-time" });
  const where = el("span", { "data-testid": "alert-dofm" });
  const site = el("span", { "data-testid": "alert-site" });
  const button = el("button", { type: "button", "data-testid": "alert-ack" });
  button.addEventListener("click", () => acknowledge(item, button));
  item.append(severity, label, time, where, site, button);
  return item;
}

function update(item, alert) {
  const acknowledged = Boolean(alert.acknowledged);
  Object.assign(item.dataset, {
    alertId: alert.alertId,
    classId: String(alert.classId),
    severity: String(alert.severity),
    siteId: alert.siteId || "",
    acknowledged: String(acknowledged),
  });
  const [severity, label, time, where, site, button] = item.children;
  severity.className = `severity severity-${alert.severity}`;
  severity.textContent = `${alert.severity} ${SEVERITIES[alert.severity] || "?"}`;
  label.textContent = CLASSES[alert.classId] || String(alert.classId);
  time.textContent = alert.alertTime;
  time.setAttribute("datetime", alert.alertTime);
  where.textContent = `${alert.dofM} m`;
  site.textContent = alert.siteId || "";
  button.disabled = acknowledged;
  button.textContent = acknowledged ? "Acknowledged" : "Acknowledge";
  button.setAttribute("aria-label", `${button.textContent} alert ${alert.alertId}`);
}

async function acknowledge(item, button) {
  button.disabled = true;
  try {
    update(item, await api.acknowledge(item.dataset.alertId));
  } catch (error) {
    button.disabled = false;
    if (error.status !== 401) show(byTestId("alerts-error"), error.message);
  }
}

// Keyed update: existing rows are kept (a click on one is never lost), new ones inserted
// in the API's order (newest first), gone ones removed.
function render(alerts) {
  const list = byTestId("alerts-list");
  const existing = new Map([...list.children].map((item) => [item.dataset.alertId, item]));
  let previous = null;
  for (const alert of alerts) {
    const item = existing.get(alert.alertId) || row(alert);
    existing.delete(alert.alertId);
    update(item, alert);
    const expected = previous ? previous.nextSibling : list.firstChild;
    if (item !== expected) list.insertBefore(item, expected);
    previous = item;
  }
  for (const item of existing.values()) item.remove();
  byTestId("alerts-empty").hidden = alerts.length > 0;
  byTestId("alerts-count").textContent = `(${alerts.length})`;
  const refreshes = Number(document.body.dataset.alertsRefreshes || 0) + 1;
  document.body.dataset.alertsRefreshes = String(refreshes);
  document.body.dataset.ready = "alerts";
}

async function refresh(wanted) {
  try {
    const body = await api.alerts(filters());
    if (wanted === generation) {
      hide(byTestId("alerts-error"));
      render(body.alerts);
    }
  } catch (error) {
    if (error.status !== 401 && wanted === generation) show(byTestId("alerts-error"), error.message);
  }
}

export function setUp() {
  const changed = () => {
    generation += 1;
    byTestId("alerts-list").replaceChildren();
    refresh(generation);
  };
  for (const id of ["filter-class", "filter-severity"]) byTestId(id).addEventListener("change", changed);
  byTestId("filter-since").addEventListener("change", changed);
  byTestId("filter-clear").addEventListener("click", () => {
    byTestId("filter-class").value = "";
    byTestId("filter-severity").value = "";
    byTestId("filter-since").value = "";
    changed();
  });
}

export function enter() {
  leave();
  let active = true;
  const halt = every(POLL_MS, () => refresh(generation), () => active);
  stop = () => {
    active = false;
    generation += 1; // an answer still in flight belongs to a view that was left
    halt();
  };
}

export function leave() {
  stop();
  stop = () => {};
}
