// A small client for wristband-django's endpoints, for a page on the same site as Django
// (docs/front-ends.md walks through it). The browser holds cookies only: the session cookie,
// which scripts cannot read, and Django's csrftoken cookie. Nothing here shows or logs a token
// or a cookie's value.

/** The server answered 401: there is no session (any more). `loginUrl` is where to log in. */
export class LoggedOut extends Error {
  constructor(loginUrl) {
    super("logged out");
    this.name = "LoggedOut";
    this.loginUrl = loginUrl;
  }
}

/**
 * Django's CSRF token, from the csrftoken cookie. The login's callback sets that cookie, so it
 * is there from the first page after login on. Scripts can read it while CSRF_COOKIE_HTTPONLY
 * is False (Django's default): keep it so.
 */
export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : "";
}

const SAFE_METHODS = ["GET", "HEAD", "OPTIONS", "TRACE"];

/**
 * `fetch` with the session cookie: JSON in, the X-CSRFToken header on unsafe methods
 * (`csrf: false` leaves it out, to see Django refuse the request). A 401 throws LoggedOut
 * with the answer's loginUrl; any other answer is returned.
 */
export async function call(url, {method = "GET", json, csrf = true} = {}) {
  const headers = {Accept: "application/json"};
  if (json !== undefined) headers["Content-Type"] = "application/json";
  if (csrf && !SAFE_METHODS.includes(method)) headers["X-CSRFToken"] = csrfToken();
  const response = await fetch(url, {
    method,
    headers,
    credentials: "same-origin",
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  if (response.status === 401) {
    const body = await response.json().catch(() => ({}));
    throw new LoggedOut(body.loginUrl);
  }
  return response;
}

/** The Login endpoint's URL that comes back to this page (`return_url`), for a tenant if known. */
export function loginHref(loginUrl, {tenantName, returnUrl = location.pathname + location.search} = {}) {
  const url = new URL(loginUrl, location.href);
  if (tenantName) url.searchParams.set("tenant_name", tenantName);
  url.searchParams.set("return_url", returnUrl);
  return url.href;
}

/**
 * Log out of this site with a fetch POST: the session ends on the server and its cookie is
 * expired. The answer is a redirect to Wristband's logout, which a fetch cannot usefully
 * follow (another origin): `redirect: "manual"` stops there, so Wristband's own session lives
 * on. logOutEverywhere ends both.
 */
export async function logOut(logoutUrl) {
  const response = await fetch(logoutUrl, {
    method: "POST",
    headers: {"X-CSRFToken": csrfToken()},
    credentials: "same-origin",
    redirect: "manual",
  });
  if (response.type !== "opaqueredirect") {
    throw new Error(`The Logout endpoint answered HTTP ${response.status}: still logged in.`);
  }
}

/**
 * Log out here and at Wristband: the browser itself goes to the Logout endpoint, which sends
 * it on to Wristband's logout and back. By GET, as Wristband's React SDK does
 * (`redirectToLogout`), when the server allows it (`allow_logout_get`: this site's own
 * navigations log out); else with a form POST carrying the CSRF token.
 */
export function logOutEverywhere(logoutUrl, {byGet}) {
  if (byGet) {
    window.location.href = logoutUrl;
    return;
  }
  const form = Object.assign(document.createElement("form"), {method: "post", action: logoutUrl});
  form.append(Object.assign(document.createElement("input"),
                            {type: "hidden", name: "csrfmiddlewaretoken", value: csrfToken()}));
  document.body.append(form);
  form.submit();
}
