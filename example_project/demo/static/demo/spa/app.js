// The single-page app's screen: who is logged in, a CSRF-protected POST, the two logouts, and
// the answer to a 401 (show "logged out" and offer the Login endpoint, for the tenant it knew).
import {LoggedOut, call, loginHref, logOut, logOutEverywhere} from "./wristband.js";

const config = JSON.parse(document.getElementById("spa-config").textContent);
const $ = (id) => document.getElementById(id);
let tenant = null; // the last session's tenant {name, displayName}: logging in again goes to it
let expiresAt = null; // the access token's expiry (epoch ms), from the Session endpoint

const pad = (n) => String(n).padStart(2, "0");
// 1712345678901 -> "10:42:05 UTC"
const clock = (ms) => {
  const d = new Date(ms);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
};
// 298 -> "4 min 58 s"
const duration = (seconds) => {
  const m = Math.floor(seconds / 60), s = seconds % 60;
  return m ? `${m} min ${s} s` : `${s} s`;
};

function link(id, text, href) {
  return Object.assign(document.createElement("a"), {id, href, textContent: text, className: "button"});
}

function showLoggedOut(reason, loginUrl) {
  $("loading").hidden = $("logged-in").hidden = true;
  expiresAt = null;
  $("logged-out-reason").textContent = reason;
  const links = [];
  if (tenant) {
    links.push(link("login", `Log in to ${tenant.displayName} again`,
                    loginHref(loginUrl, {tenantName: tenant.name})));
  } else {
    for (const {name, displayName} of config.tenants) {
      links.push(link(`login-${name}`, `Log in to ${displayName}`, loginHref(loginUrl, {tenantName: name})));
    }
    links.push(link("login", config.tenants.length ? "Log in (choose a tenant)" : "Log in", loginHref(loginUrl)));
  }
  $("login-links").replaceChildren(...links);
  $("logged-out").hidden = false;
}

function showProblem(message) {
  $("problem").textContent = message;
  $("problem").hidden = false;
}

// Run an action; a 401 on the way (LoggedOut) shows "logged out" with `reason`.
async function run(action, reason) {
  $("problem").hidden = true;
  try {
    await action();
  } catch (error) {
    if (error instanceof LoggedOut) showLoggedOut(reason, error.loginUrl);
    else showProblem(error.message);
  }
}

async function json(response, what) {
  if (!response.ok) throw new Error(`${what} answered HTTP ${response.status}; try again shortly.`);
  return response.json();
}

function showCountdown() {
  if (expiresAt === null) return;
  const seconds = Math.round((expiresAt - Date.now()) / 1000);
  $("token").textContent = seconds > 0
    ? `valid until ${clock(expiresAt)} (in ${duration(seconds)})`
    : `expired at ${clock(expiresAt)} (${duration(-seconds)} ago): the next request to this site refreshes it`;
}

// Ask the Session endpoint who is logged in, and until when the access token is valid (the
// demo's Session endpoint adds the expiry; the token itself never leaves the server). It
// refreshes an expired token first, as the APIs do.
async function showSession() {
  const session = await json(await call(config.sessionUrl), "The Session endpoint");
  const meta = session.metadata;
  tenant = meta.tenant_name ? {name: meta.tenant_name, displayName: meta.tenantDisplayName || meta.tenant_name} : null;
  $("user").textContent = `${meta.name || session.userId} (${meta.email || "no email"})`;
  $("tenant").textContent = `${tenant ? tenant.displayName : ""} (name ${meta.tenant_name}, ID ${session.tenantId})`;
  const roles = (meta.roles || []).map((role) => role.display_name || role.name);
  $("roles").textContent = roles.join(", ") || "none";
  if (expiresAt !== null && meta.accessTokenExpiresAt !== expiresAt && meta.accessTokenRefreshedAt) {
    $("refresh-note").textContent = "New access token: the old one had expired, so the server "
      + `refreshed it at ${clock(meta.accessTokenRefreshedAt)}. It is valid until ${clock(meta.accessTokenExpiresAt)}.`;
    $("refresh-note").hidden = false;
  }
  expiresAt = meta.accessTokenExpiresAt;
  showCountdown();
  $("loading").hidden = $("logged-out").hidden = true;
  $("logged-in").hidden = false;
}

async function send(csrf) {
  const text = $("message").value;
  const response = await call(config.messagesUrl, {method: "POST", json: {text}, csrf});
  const result = $("message-result");
  if (response.ok) {
    result.textContent = `HTTP ${response.status}, the API's answer:\n${JSON.stringify(await response.json(), null, 2)}`;
  } else if (response.status === 403 && (await response.text()).includes("CSRF verification failed")) {
    result.textContent = "HTTP 403: refused by Django's CSRF protection (CSRF verification failed): "
      + "a POST with the session cookie needs the X-CSRFToken header.";
  } else {
    result.textContent = `HTTP ${response.status}: the API refused the message.`;
  }
  result.hidden = false;
  await showSession(); // the token's expiry again: the request may have refreshed it
}

const API_401 = "You are logged out: the API answered 401 (your session ended: it expired, or "
  + "you logged out in another tab).";

$("message-form").addEventListener("submit", (event) => {
  event.preventDefault();
  run(() => send(true), API_401);
});
$("send-without-csrf").addEventListener("click", () => run(() => send(false), API_401));
$("logout-this-site").addEventListener("click", () => run(async () => {
  await logOut(config.logoutUrl);
  $("message-result").hidden = $("refresh-note").hidden = true;
  showLoggedOut("You are logged out of this site. Your Wristband session lives on: logging in "
    + "again may not ask who you are.", config.loginUrl);
}, API_401));
$("logout-everywhere").addEventListener("click", () => {
  logOutEverywhere(config.logoutUrl, {byGet: config.logoutByGet});
});

setInterval(showCountdown, 1000);
if (config.loggedIn) {
  run(showSession, "You are not logged in.");
} else {
  // The server said nobody is logged in: no need to ask the Session endpoint (its 401 would
  // show as an error in the browser's console).
  showLoggedOut("You are not logged in.", config.loginUrl);
}
