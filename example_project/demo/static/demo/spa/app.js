// The single-page app's screen: who is logged in, a CSRF-protected POST, logout, and the
// answer to a 401 (show "signed out" and offer the Login endpoint).
import {SignedOut, call, loginHref, logOut, logOutEverywhere} from "./wristband.js";

const config = JSON.parse(document.getElementById("spa-config").textContent);
const $ = (id) => document.getElementById(id);
let tenantName = null; // the last session's tenant: logging in again goes straight to it

const pad = (n) => String(n).padStart(2, "0");
// 1712345678901 -> "10:42:05 UTC"
const clock = (ms) => {
  const d = new Date(ms);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
};

function link(id, text, href) {
  return Object.assign(document.createElement("a"), {id, href, textContent: text, className: "button"});
}

function showSignedOut(reason, loginUrl) {
  $("loading").hidden = $("signed-in").hidden = true;
  $("signed-out-reason").textContent = reason;
  const links = [];
  if (tenantName) {
    links.push(link("login", `Log in to ${tenantName} again`, loginHref(loginUrl, {tenantName})));
  } else {
    for (const name of config.tenants) {
      links.push(link(`login-${name}`, `Log in to ${name}`, loginHref(loginUrl, {tenantName: name})));
    }
    links.push(link("login", config.tenants.length ? "Choose a tenant" : "Log in", loginHref(loginUrl)));
  }
  $("login-links").replaceChildren(...links);
  $("signed-out").hidden = false;
}

function showProblem(message) {
  $("problem").textContent = message;
  $("problem").hidden = false;
}

// Run an action; a 401 on the way (SignedOut) shows "signed out" with `reason`.
async function run(action, reason) {
  $("problem").hidden = true;
  try {
    await action();
  } catch (error) {
    if (error instanceof SignedOut) showSignedOut(reason, error.loginUrl);
    else showProblem(error.message);
  }
}

async function json(response, what) {
  if (!response.ok) throw new Error(`${what} answered HTTP ${response.status}; try again shortly.`);
  return response.json();
}

async function showSession() {
  const session = await json(await call(config.sessionUrl), "The Session endpoint");
  const meta = session.metadata;
  tenantName = meta.tenant_name || null;
  $("user").textContent = `${meta.name || session.userId} (${meta.email || "no email"})`;
  $("tenant").textContent = `${meta.tenant_name || ""} (${session.tenantId})`;
  // The Token endpoint hands out an access token for APIs that want one (it refreshes it
  // first when needed). This page calls none, so it only says until when the token is valid.
  const token = await json(await call(config.tokenUrl), "The Token endpoint");
  $("token").textContent = `from the Token endpoint: valid until ${clock(token.expiresAt)} (never shown)`;
  $("loading").hidden = $("signed-out").hidden = true;
  $("signed-in").hidden = false;
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
}

const API_401 = "The API answered 401: your session ended (expired, or logged out in another tab).";

$("message-form").addEventListener("submit", (event) => {
  event.preventDefault();
  run(() => send(true), API_401);
});
$("send-without-csrf").addEventListener("click", () => run(() => send(false), API_401));
$("logout").addEventListener("click", () => run(async () => {
  await logOut(config.logoutUrl);
  $("message-result").hidden = true;
  await showSession(); // the Session endpoint now answers 401
}, "You logged out of this site: the Session endpoint now answers 401."));
$("logout-everywhere").addEventListener("click", () => {
  logOutEverywhere(config.logoutUrl, {byGet: config.logoutByGet});
});

run(showSession, "You are not logged in: the Session endpoint answered 401.");
