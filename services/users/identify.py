"""Who a request comes from: ``Authorization: Bearer`` (an OIDC token), ``Authorization:
Basic`` (a store user's password), an API key in a header or in the query (for GDAL and QGIS,
which cannot easily send other headers). No credentials: None; credentials that do not hold:
:class:`~services.errors.Unauthenticated` (401) or :class:`~services.errors.Forbidden` (403,
a disabled user)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import time
from dataclasses import replace
from urllib.parse import parse_qsl, urlencode

from werkzeug.wrappers import Request

from services.errors import Forbidden, ServiceUnavailable, Unauthenticated
from services.settings import Access
from services.users.oidc import InvalidToken, ProviderUnavailable, TokenVerifier, roles
from services.users.principal import Principal, Quotas
from services.users.store import User, UserStore

BASIC_REMEMBERED_SECONDS = 60.0   # a checked password is not hashed again (scrypt) for this long
BASIC_REMEMBERED_MOST = 1024


class Authenticator:
    def __init__(self, access: Access, store: UserStore):
        self.access = access
        self.store = store
        self.defaults = Quotas(access.quota_products_per_day, access.quota_bytes_per_day,
                               access.quota_jobs, access.quota_requests_per_minute,
                               access.quota_compute_seconds_per_day)
        self.verifier = TokenVerifier(access) if access.oidc_issuer else None
        self._secret = os.urandom(32)
        self._checked: dict[str, tuple[str, float]] = {}   # HMAC of credentials → name, until

    def challenges(self, error: str | None = None) -> tuple[str, ...]:
        realm = self.access.realm.replace('"', "")
        bearer = f'Bearer realm="{realm}"' + (f', error="{error}"' if error else "")
        return (bearer, f'Basic realm="{realm}", charset="UTF-8"') if self.verifier else \
            (f'Basic realm="{realm}", charset="UTF-8"',)

    def refuse(self, message: str, error: str | None = "invalid_token") -> Unauthenticated:
        return Unauthenticated(message, self.challenges(error))

    def take_query_key(self, environ: dict) -> str | None:
        """The API key of the query, removed from it so no service (MapServer, the tile cache,
        a log) ever sees it."""
        name = self.access.apikey_param.lower()
        query = environ.get("QUERY_STRING", "")
        if f"{name}=" not in query.lower():
            return None
        pairs = parse_qsl(query, keep_blank_values=True)
        keys = [v for k, v in pairs if k.lower() == name]
        environ["QUERY_STRING"] = urlencode([(k, v) for k, v in pairs if k.lower() != name])
        return keys[0] if keys else None

    def identify(self, request: Request, query_key: str | None = None) -> Principal | None:
        authorization = request.headers.get("Authorization", "")
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer":
            return self._bearer(credentials.strip())
        if scheme.lower() == "basic":
            return self._basic(credentials.strip())
        if authorization:
            raise self.refuse(f"authorization scheme {scheme[:20]!r} is not accepted",
                              "invalid_request")
        key = request.headers.get(self.access.apikey_header) or query_key
        if key is not None:
            user = self.store.by_key(key)
            if user is None:
                raise self.refuse("the API key is not known (rotated?)", None)
            return self._principal(user, "apikey")
        return None

    def _basic(self, credentials: str) -> Principal:
        try:
            name, sep, password = base64.b64decode(credentials, validate=True).decode(
                "utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            sep = ""
        if not sep:
            raise self.refuse("the Basic credentials are not base64 of user:password", None)
        return self._principal(self._password_user(credentials, name, password), "basic")

    def _password_user(self, credentials: str, name: str, password: str) -> User:
        """The user whose password this is; scrypt runs once a minute per credentials and
        worker, not on every request of a script (the user is still read each time)."""
        seen = hmac.new(self._secret, credentials.encode(), hashlib.sha256).hexdigest()
        remembered = self._checked.get(seen)
        user = self.store.get(name) if remembered and remembered[1] > time.monotonic() \
            else self.store.by_password(name, password)
        if user is None:
            raise self.refuse("unknown user or wrong password", None)
        if remembered is None:
            if len(self._checked) >= BASIC_REMEMBERED_MOST:
                self._checked.clear()
            self._checked[seen] = (name, time.monotonic() + BASIC_REMEMBERED_SECONDS)
        return user

    def _bearer(self, token: str) -> Principal:
        if self.verifier is None:
            raise self.refuse("bearer tokens are not accepted here (no OpenID Connect "
                              "provider is configured): use an API key or Basic", None)
        try:
            claims = self.verifier.claims(token)
        except InvalidToken as error:
            raise self.refuse(str(error)) from None
        except ProviderUnavailable:
            raise ServiceUnavailable("the identity provider cannot be reached to check the "
                                     "token; try again later") from None
        access = self.access
        name = str(claims.get(access.oidc_username_claim) or claims.get("sub") or "")
        if not name:
            raise self.refuse("the token names no user")
        user = self.store.get(name)
        if user is not None:
            principal = self._principal(user, "bearer")
            admin = principal.admin or access.oidc_admin_role in roles(claims)
            return replace(principal, admin=admin)
        return Principal(name, str(claims.get(access.oidc_organisation_claim) or ""),
                         str(claims.get(access.oidc_country_claim) or "").upper(),
                         access.oidc_admin_role in roles(claims), "bearer", self.defaults)

    def _principal(self, user: User, method: str) -> Principal:
        if user.disabled:
            raise Forbidden(f"user {user.name} is disabled; ask the operators")
        return Principal(user.name, user.organisation, user.country, user.admin, method,
                         user.effective_quotas(self.defaults))
