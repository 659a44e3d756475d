// The task view: status polled from /ack, the metadata, the waterfall canvas drawn from
// /waterfall rows (one column per channel, newest row on top), and a stop button.

import { api } from "./api.js";
import { byTestId, el, every, hide, show } from "./dom.js";

const ROWS = 60;
const FINISHED = ["completed", "failed", "stopped"];
const META = [
  "timeStatus", "viewType", "nfft", "overlap", "channels", "channel_count", "frequencyRange",
  "prr", "frequency_resolution", "frequency_bins", "time_resolution", "stream", "created_at",
  "startTime", "endTime",
];
let current = null;
let stops = [];
let settled = false; // the rows drawn after the task finished are its last

function format(value) {
  if (value && typeof value === "object") {
    if ("min" in value && "max" in value) return `${value.min} – ${value.max}`;
    if ("host" in value && "port" in value) return `${value.host}:${value.port}`;
    return JSON.stringify(value);
  }
  return String(value);
}

function renderMetadata(metadata) {
  const list = byTestId("task-metadata");
  list.replaceChildren();
  for (const name of META) {
    if (metadata[name] === undefined || metadata[name] === null) continue;
    list.append(el("dt", {}, name), el("dd", { "data-testid": `meta-${name}` }, format(metadata[name])));
  }
}

// A dark-blue to yellow scale whose brightness rises with the value.
function colour(share) {
  const t = Math.min(1, Math.max(0, share));
  return [10 + 245 * t, 10 + 230 * t, 40 + 40 * t];
}

export function draw(canvas, rows) {
  const width = rows[0].values.length;
  const height = rows.length;
  canvas.width = width;
  canvas.height = height;
  let low = Infinity;
  let high = -Infinity;
  for (const row of rows) for (const value of row.values) {
    if (value < low) low = value;
    if (value > high) high = value;
  }
  const span = high - low || 1;
  const context = canvas.getContext("2d");
  const image = context.createImageData(width, height);
  // Newest row on top: the API answers oldest first.
  rows.slice().reverse().forEach((row, y) => {
    row.values.forEach((value, x) => {
      const [r, g, b] = colour((value - low) / span);
      const offset = (y * width + x) * 4;
      image.data.set([r, g, b, 255], offset);
    });
  });
  context.putImageData(image, 0, 0);
  canvas.dataset.rowsDrawn = String(height);
  canvas.dataset.channels = String(width);
}

async function pollStatus(id) {
  const ack = await api.ack(id);
  if (current !== id) return;
  const status = byTestId("task-status");
  status.textContent = ack.status;
  status.dataset.status = ack.status;
  byTestId("task-stop").disabled = FINISHED.includes(ack.status);
}

async function pollWaterfall(id) {
  const status = byTestId("task-status").dataset.status;
  if (!status || status === "waiting") return;
  const finished = FINISHED.includes(status);
  const body = await api.waterfall(id, ROWS);
  if (current !== id) return;
  settled = finished;
  if (!body.rows.length) return;
  const canvas = byTestId("waterfall-canvas");
  draw(canvas, body.rows);
  byTestId("waterfall-caption").textContent =
    `${body.rows.length} rows × ${body.rows[0].values.length} channels, newest ${body.rows.at(-1).timestamp}`;
}

// An error is shown only in the view of the task it belongs to, and never for a 401 (main.js
// ends the session).
function showError(id, error) {
  if (error.status !== 401 && current === id) show(byTestId("task-error"), error.message);
}

function ignoreEnded(id, work) {
  return async () => {
    try {
      await work();
    } catch (error) {
      showError(id, error);
    }
  };
}

export function setUp() {
  byTestId("task-stop").addEventListener("click", async () => {
    const id = current;
    byTestId("task-stop").disabled = true;
    try {
      await api.stop(id);
      await pollStatus(id);
    } catch (error) {
      showError(id, error);
    }
  });
}

export async function enter(id) {
  leave();
  current = id;
  byTestId("task-id").textContent = id;
  const status = byTestId("task-status");
  status.textContent = "…";
  delete status.dataset.status;
  hide(byTestId("task-error"));
  const canvas = byTestId("waterfall-canvas");
  canvas.width = 1;
  canvas.height = 1;
  delete canvas.dataset.rowsDrawn;
  byTestId("waterfall-caption").textContent = "Waiting for data…";
  byTestId("task-metadata").replaceChildren();
  const active = () => current === id;
  settled = false;
  const unfinished = () => active() && !FINISHED.includes(status.dataset.status);
  stops = [
    every(500, ignoreEnded(id, () => pollStatus(id)), unfinished),
    every(1000, ignoreEnded(id, () => pollWaterfall(id)), () => active() && !settled),
  ];
  try {
    const metadata = await api.metadata(id);
    // An answer that comes after the user went on to another task is not this view's.
    if (active()) renderMetadata(metadata);
  } catch (error) {
    showError(id, error);
  }
}

export function leave() {
  for (const stop of stops) stop();
  stops = [];
  current = null;
}
