// liveView: the login page and the hash routes #/configure, #/task/<id>, #/tasks, #/alerts.

import { currentSession, logIn, logOut, whenSessionEnds } from "./api.js";
import * as alerts from "./alerts.js";
import * as configure from "./configure.js";
import { byTestId, hide, show } from "./dom.js";
import * as task from "./task.js";
import * as tasks from "./tasks.js";

const VIEWS = ["login", "configure", "task", "tasks", "alerts"];
let session = null;
let expiryTimer = null;

function showView(name) {
  for (const view of VIEWS) byTestId(`${view}-view`).hidden = view !== name;
  document.body.dataset.view = name;
  const loggedIn = name !== "login";
  byTestId("nav").hidden = !loggedIn;
  byTestId("user-box").hidden = !loggedIn;
  for (const link of byTestId("nav").querySelectorAll("a")) {
    if (link.getAttribute("href") === `#/${name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function leaveAll() {
  task.leave();
  tasks.leave();
  alerts.leave();
}

function route() {
  if (!session) return;
  leaveAll();
  delete document.body.dataset.ready;
  const [, view = "configure", id] = window.location.hash.split("/");
  if (view === "task" && id) {
    showView("task");
    task.enter(decodeURIComponent(id));
  } else if (view === "tasks") {
    showView("tasks");
    tasks.enter();
  } else if (view === "alerts") {
    showView("alerts");
    alerts.enter();
  } else {
    showView("configure");
    configure.enter();
  }
}

function showLogin(message) {
  session = null;
  clearTimeout(expiryTimer);
  leaveAll();
  showView("login");
  const notice = byTestId("login-message");
  if (message) show(notice, message);
  else hide(notice);
  hide(byTestId("login-error"));
  byTestId("login-password").value = "";
  document.body.dataset.ready = "login";
}

function started(newSession) {
  session = newSession;
  byTestId("current-user").textContent = session.user;
  clearTimeout(expiryTimer);
  // Ask the server when the session should have ended: it has the last word.
  const wait = Math.max(0, session.expires_at * 1000 - Date.now()) + 250;
  expiryTimer = setTimeout(() => currentSession().catch(() => sessionEnded()), Math.min(wait, 2 ** 31 - 1));
  route();
}

function sessionEnded() {
  if (session) showLogin("Your session has expired. Please log in again.");
}

function loginErrors(username, password) {
  const errors = {};
  if (!username) errors.username = "Enter your username";
  if (!password) errors.password = "Enter your password";
  for (const name of ["username", "password"]) {
    const input = byTestId(`login-${name}`);
    byTestId(`login-${name}-error`).textContent = errors[name] || "";
    if (errors[name]) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
  return Object.keys(errors).length > 0;
}

async function submitLogin(event) {
  event.preventDefault();
  const username = byTestId("login-username").value.trim();
  const password = byTestId("login-password").value;
  hide(byTestId("login-error"));
  if (loginErrors(username, password)) return;
  const button = byTestId("login-submit");
  button.disabled = true;
  try {
    const lifetime = byTestId("login-session-lifetime");
    const newSession = await logIn(username, password, lifetime.value);
    lifetime.value = "";
    hide(byTestId("login-message"));
    byTestId("login-password").value = "";
    if (!window.location.hash || window.location.hash === "#/") window.location.hash = "#/configure";
    started(newSession);
  } catch (error) {
    show(byTestId("login-error"), error.status === 401 ? "Wrong username or password." : error.message);
    byTestId("login-password").value = "";
  } finally {
    button.disabled = false;
  }
}

async function boot() {
  whenSessionEnds(sessionEnded);
  configure.setUp((id) => {
    window.location.hash = `#/task/${encodeURIComponent(id)}`;
  });
  task.setUp();
  alerts.setUp();
  byTestId("login-form").addEventListener("submit", submitLogin);
  byTestId("logout").addEventListener("click", async () => {
    try {
      await logOut();
    } finally {
      showLogin("You have logged out.");
    }
  });
  window.addEventListener("hashchange", route);
  try {
    started(await currentSession());
  } catch {
    showLogin();
  }
}

boot();
