// The tasks view: the tasks waiting or running, and the capacity in use (N / MaxWindows).

import { api } from "./api.js";
import { byTestId, el, every } from "./dom.js";

let stop = () => {};

function render(body) {
  byTestId("capacity").textContent = `${body.active} / ${body.max_windows}`;
  byTestId("capacity").dataset.active = String(body.active);
  byTestId("tasks-empty").hidden = body.tasks.length > 0;
  const rows = body.tasks.map((task) => {
    const row = el("tr", { "data-testid": "task-row", "data-task-id": task.task_id, "data-status": task.status });
    const link = el("a", { href: `#/task/${task.task_id}`, "data-testid": "task-link" }, task.task_id);
    const cell = el("td");
    cell.append(link);
    row.append(
      cell,
      el("td", { "data-testid": "task-row-status" }, task.status),
      el("td", {}, task.timeStatus),
      el("td", {}, task.viewType),
      el("td", {}, task.created_at),
    );
    return row;
  });
  byTestId("tasks-list").replaceChildren(...rows);
  document.body.dataset.ready = "tasks";
}

export function enter() {
  leave();
  let active = true;
  const halt = every(1000, async () => {
    try {
      const body = await api.tasks();
      // An answer that comes after the view was left must not redraw it or mark it ready.
      if (active) render(body);
    } catch {
      // a 401 ends the session (main.js); other errors: the next poll tries again
    }
  }, () => active);
  stop = () => {
    active = false;
    halt();
  };
}

export function leave() {
  stop();
  stop = () => {};
}
