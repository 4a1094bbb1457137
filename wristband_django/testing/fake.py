"""`FakeWristband`: the public facade that starts the server and drives it from tests."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Generic, TypeVar, overload
from urllib.parse import quote, urlsplit

from .browser_protocol import (
    ANY_USER,
    AUTHORIZE_PATH,
    USER_HEADER,
    error_headers,
)
from .controls import FakeControls
from .directory import Directory, hostname_of
from .endpoints import Endpoints
from .faults import FaultQueue
from .grants import Grants
from .models import DEFAULT_TENANTS, FakeTenant, FakeUser, RecordedRequest, default_users
from .server import FakeHTTPServer
from .settings import FakeSettings
from .tokens import KeyRing

T = TypeVar("T")


class _Setting(Generic[T]):
    """An attribute of the fake that is one of its ``FakeSettings``: read and set there."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, fake: None, owner: type) -> _Setting[T]: ...
    @overload
    def __get__(self, fake: FakeWristband, owner: type) -> T: ...
    def __get__(self, fake: FakeWristband | None, owner: type) -> _Setting[T] | T:
        if fake is None:
            return self
        value: T = getattr(fake.settings, self.name)
        return value

    def __set__(self, fake: FakeWristband, value: T) -> None:
        setattr(fake.settings, self.name, value)


class FakeWristband(FakeControls):
    """A real HTTP server speaking Wristband's protocol, for tests and demos.

    The vanity domain is `localhost:PORT`; tenant hosts are `{tenant}.localhost:PORT`
    (`{tenant}-localhost:PORT` when the application custom domain is inactive) or a tenant's
    custom domain. `authorize()` completes a login without a browser; the controls (faults,
    machine clients, broken ID tokens, key rotation, records) are in `FakeControls`.

    `tls`: a server-side `ssl.SSLContext` (its certificate valid for `localhost`) makes the
    fake speak https, as Wristband does: its issuer and URLs are then `https://`, and
    `auth_settings()` leaves out `dangerously_allow_http_idp`, so the app must trust the
    certificate's CA (e.g. through `REQUESTS_CA_BUNDLE` or the `ca_bundle` setting).

    Machine-to-machine tokens: `add_machine_client(client_id, secret)` registers a client
    whose `grant_type=client_credentials` requests get an access token (no refresh token, no
    ID token) lasting `access_token_ttl` seconds, like the application's own access tokens.
    """

    def __init__(
        self,
        *,
        client_id: str = "fake-client-id",
        client_secret: str = "fake-client-secret-0123456789abcdef0123",  # noqa: S107
        tenants: Sequence[FakeTenant] | None = None,
        users: Sequence[FakeUser] | None = None,
        access_token_ttl: int = 3600,
        rotate_refresh_tokens: bool = True,
        login_url: str = "http://localhost:8000/auth/login",
        redirect_uri: str = "http://localhost:8000/auth/callback",
        is_application_custom_domain_active: bool = True,
        custom_application_login_page_url: str | None = None,
        login_url_tenant_domain_suffix: str | None = None,
        application_authorization_requests_enabled: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        app_id: str = "app_fake",
        code_ttl: float = 60.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        tenant_list = list(DEFAULT_TENANTS if tenants is None else tenants)
        self.settings = FakeSettings(
            client_id=client_id,
            client_secret=client_secret,
            app_id=app_id,
            access_token_ttl=access_token_ttl,
            rotate_refresh_tokens=rotate_refresh_tokens,
            code_ttl=code_ttl,
            login_url=login_url,
            redirect_uri=redirect_uri,
            is_application_custom_domain_active=is_application_custom_domain_active,
            custom_application_login_page_url=custom_application_login_page_url,
            login_url_tenant_domain_suffix=login_url_tenant_domain_suffix,
            application_authorization_requests_enabled=application_authorization_requests_enabled,
        )
        self._directory = Directory(
            tenant_list, default_users(tenant_list) if users is None else users
        )
        self._grants = Grants()
        self._keys = KeyRing()
        self._faults = FaultQueue()
        self._endpoints = Endpoints(self.settings, self._directory, self._grants, self._keys)
        self.requests: list[RecordedRequest] = []
        self._records_lock = threading.Lock()
        self._bind = (host, port)
        self._tls = tls
        self._server: FakeHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lifecycle_lock = threading.Lock()
        self._stopping = threading.Event()

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeWristband:
        """Start listening and serving in a daemon thread, and return the fake.

        Calling it on a fake already started does nothing.
        """
        with self._lifecycle_lock:
            if self._server is None:
                self._server = FakeHTTPServer(self._bind, self._dispatch, ssl_context=self._tls)
                self._stopping.clear()
                self.settings.issuer = self.base_url
                self._thread = threading.Thread(
                    target=self._server.serve_forever,
                    kwargs={"poll_interval": 0.5},  # stop() wakes it at once
                    name=f"fake-wristband-{self.port}",
                    daemon=True,
                )
                self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and release the port."""
        with self._lifecycle_lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeWristband:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- addresses and configuration -------------------------------------------------------

    @property
    def port(self) -> int:
        """Return the port the fake listens on.

        Before `start()`, only a port given to the constructor is known; with port 0 (any
        free port), raise ``RuntimeError``.
        """
        if self._server is not None:
            return int(self._server.server_address[1])
        if self._bind[1]:
            return self._bind[1]
        raise RuntimeError("FakeWristband has no port until start()")

    @property
    def scheme(self) -> str:
        """Return `https` when the fake has `tls`, else `http`."""
        return "http" if self._tls is None else "https"

    @property
    def base_url(self) -> str:
        """Return the fake's base URL, ``{scheme}://localhost:{port}``."""
        return f"{self.scheme}://{self.vanity_domain}"

    @property
    def vanity_domain(self) -> str:
        """Return the fake's vanity domain, ``localhost:{port}``."""
        return f"localhost:{self.port}"

    @property
    def issuer(self) -> str:
        """Return the ``iss`` of the tokens the fake issues: its base URL."""
        return self.base_url

    client_id = _Setting[str]()
    client_secret = _Setting[str]()
    access_token_ttl = _Setting[int]()
    rotate_refresh_tokens = _Setting[bool]()
    code_ttl = _Setting[float]()

    @property
    def current_kid(self) -> str:
        """Return the kid of the key that signs new tokens."""
        return self._keys.current_kid

    def auth_settings(self, **overrides: Any) -> dict[str, Any]:
        """Return a `WRISTBAND_AUTH` settings dict that points a Django project at this fake.

        The dict sets `dangerously_allow_http_idp` unless the fake speaks https; `overrides`
        add keys or replace them.
        """
        http_idp = {"dangerously_allow_http_idp": True} if self._tls is None else {}
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "wristband_application_vanity_domain": self.vanity_domain,
            **http_idp,
            **overrides,
        }

    def tenant_host(self, tenant_name: str) -> str:
        """Return the host of the tenant `tenant_name` at the fake.

        It is ``{tenant}.localhost:{port}``, or ``{tenant}-localhost:{port}`` when the
        application custom domain is inactive.
        """
        separator = "." if self.settings.is_application_custom_domain_active else "-"
        return f"{tenant_name}{separator}{self.vanity_domain}"

    # --- tenants and users -----------------------------------------------------------------

    def add_tenant(self, tenant: FakeTenant) -> None:
        """Add `tenant`, or replace the tenant of the same name."""
        self._directory.add_tenant(tenant)

    def add_user(self, user: FakeUser) -> None:
        """Add `user`; raise ``ValueError`` if its tenant is unknown."""
        self._directory.add_user(user)

    @property
    def tenants(self) -> list[FakeTenant]:
        """Return the fake's tenants."""
        return self._directory.tenants()

    def users_of(self, tenant_name: str) -> list[FakeUser]:
        """Return the users of the tenant `tenant_name`."""
        return self._directory.users_of(tenant_name)

    def user(self, ref: str) -> FakeUser:
        """Return the user whose sub or email is `ref`; raise ``KeyError`` if there is none."""
        user = self._directory.find_user(ref)
        if user is None:
            raise KeyError(ref)
        return user

    # --- automatic login -------------------------------------------------------------------

    def authorize(
        self,
        authorize_url: str,
        user: str | FakeUser | None = None,
        *,
        error: str | None = None,
        error_description: str | None = None,
    ) -> str:
        """Play the browser on `authorize_url` and return the Location it is redirected to.

        `user` is a sub, an email or a `FakeUser` (by default, the tenant's first user), and
        must belong to the tenant of the URL's host; on the application vanity domain
        (application-level authorize), the user's tenant is the one discovered. With `error`,
        the login fails with that error instead. Raise ``AssertionError`` if the fake rejects
        the request.
        """
        url = urlsplit(authorize_url)
        if url.path != AUTHORIZE_PATH:
            raise AssertionError(f"not a Wristband authorize URL: {authorize_url}")
        if hostname_of(url.netloc).endswith("localhost") and url.port not in (None, self.port):
            raise AssertionError(
                f"authorize URL targets port {url.port}, the fake listens on {self.port}"
            )
        headers = error_headers(error, error_description)
        if not error:  # a browser of its own, whose user enters credentials in one request
            ref = user.sub if isinstance(user, FakeUser) else user or ANY_USER
            headers[USER_HEADER] = quote(ref, safe="")
        status, location, body = self.new_browser().visit_authorize(authorize_url, headers)
        if status == 302 and location:
            return location
        raise AssertionError(
            f"fake Wristband rejected the authorize request (HTTP {status}): {body[:500]}"
        )
