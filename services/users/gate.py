"""The one place the gateway asks about users: :meth:`AccessGate.admit` before a service sees
a request (identify, take the API key out of the query, refuse what the policy or a quota
does not allow, make the principal :func:`~services.users.principal.current`), and
:meth:`AccessGate.record` once it is answered (usage statistics)."""

from __future__ import annotations

import logging
import sqlite3
import time
from datetime import UTC, datetime, timedelta

from werkzeug.wrappers import Request
from werkzeug.wrappers import Response as WsgiResponse

from services.errors import Forbidden, QuotaExceeded, ServiceUnavailable, Unauthenticated
from services.settings import Settings
from services.users import metrics
from services.users.identify import Authenticator
from services.users.policy import DATA, classify
from services.users.principal import Principal, set_current
from services.users.store import UserStore
from services.users.usage import Hit, UsageRecorder

LOG = logging.getLogger("eoscope.users")
PRINCIPAL = "eoscope.principal"
SERVICE = "eoscope.service"


class AccessGate:
    def __init__(self, settings: Settings):
        self.access = settings.access
        self.store = UserStore(settings.users)
        self.authenticator = Authenticator(self.access, self.store)
        self.usage = UsageRecorder(self.store, self.access.usage_flush_seconds)
        metrics.register(self.store)

    def admit(self, endpoint: str | None, request: Request, values: dict) -> Principal | None:
        """The request's principal (None: anonymous) once it may go on; else an
        Unauthenticated (401), Forbidden (403) or QuotaExceeded (429) error."""
        set_current(None)
        environ = request.environ
        query_key = self.authenticator.take_query_key(environ)
        if query_key is not None:   # werkzeug reads the query again, without the key
            request.query_string = environ["QUERY_STRING"].encode("latin1")
            request.__dict__.pop("args", None)
        environ[SERVICE], kind = classify(endpoint, values, request,
                                          self.access.wcs_open_pixels)
        required = kind is not None and self.access.required(kind)
        try:
            principal = self.authenticator.identify(request, query_key)
        except (Unauthenticated, Forbidden, ServiceUnavailable):
            if required:
                raise
            principal = None   # where anyone may come, bad credentials are no credentials
        environ[PRINCIPAL] = principal
        if principal is None:
            if required:
                raise self.authenticator.refuse(
                    f"{environ[SERVICE]} requests here need a bearer token, an API key or a "
                    "password (see the user's guide, 'Getting a token or key')", None)
            return None
        set_current(principal)
        self._check_rate(principal)
        if kind == DATA and endpoint in ("download", "ows"):
            self._check_downloads(principal)
        return principal

    def _check_rate(self, principal: Principal) -> None:
        limit = principal.quotas.requests_per_minute
        if not limit:
            return
        now = time.time()
        if self.store.count_request(principal.name, int(now // 60)) > limit:
            raise QuotaExceeded(f"request rate quota: {limit} requests a minute for user "
                                f"{principal.name}", 60 - int(now % 60))

    def _check_downloads(self, principal: Principal) -> None:
        products_limit = principal.quotas.products_per_day
        bytes_limit = principal.quotas.bytes_per_day
        if not products_limit and not bytes_limit:
            return
        products, delivered = self.store.downloads_today(principal.name)
        now = datetime.now(UTC)
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        wait = int((midnight - now).total_seconds()) + 1
        if products_limit and products >= products_limit:
            raise QuotaExceeded(f"daily download quota: {products_limit} products a day for "
                                f"user {principal.name} (used {products})", wait)
        if bytes_limit and delivered >= bytes_limit:
            raise QuotaExceeded(f"daily download quota: {bytes_limit} bytes a day for user "
                                f"{principal.name} (used {delivered})", wait)

    def record(self, request: Request, response: WsgiResponse) -> None:
        """Count the answered request (not for the landing page and /healthz); a store that
        cannot be written loses the count, never the answer."""
        try:
            self._record(request, response)
        except sqlite3.Error as error:
            LOG.warning("usage not recorded: %s", error)

    def _record(self, request: Request, response: WsgiResponse) -> None:
        service = request.environ.get(SERVICE)
        if service is None:
            return
        principal: Principal | None = request.environ.get(PRINCIPAL)
        size = (response.calculate_content_length() or 0) if response.status_code < 300 else 0
        delivered = response.status_code == 200 and service in ("download", "wcs") and \
            request.method == "GET" and _is_coverage(service, request)
        if principal is None:
            self.usage.record(Hit(service, bytes=size, products=int(delivered),
                                  viewer=request.remote_addr or ""))
        else:
            self.usage.record(Hit(service, principal.name, principal.organisation,
                                  principal.country, size, int(delivered)))


def _is_coverage(service: str, request: Request) -> bool:
    return service == "download" or any(
        k.lower() == "request" and v.lower() == "getcoverage" for k, v in request.args.items())
