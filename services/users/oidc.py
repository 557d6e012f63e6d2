"""OpenID Connect bearer tokens, validated locally with PyJWT: the signature against the
provider's JWKS (fetched at start, cached, fetched again for an unknown key id when the
provider rotates its keys), the issuer, the audience, expiry and not-before with a leeway for
clock skew, and only the allowed signature algorithms (never ``none``, never HMAC with a
public key).
"""

from __future__ import annotations

import json
import logging
import urllib.request

import jwt

from services.settings import Access

LOG = logging.getLogger("eoscope.users.oidc")
FORBIDDEN_ALGORITHMS = {"none", "HS256", "HS384", "HS512"}


class InvalidToken(Exception):
    """A bearer token that does not hold; the message says why (for the client)."""


class ProviderUnavailable(Exception):
    """The provider's keys cannot be fetched: no token can be checked now."""


def discover_jwks(issuer: str, timeout: float = 10) -> str:
    """The ``jwks_uri`` of the provider's OpenID configuration."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 (operator's URL)
        return json.load(answer)["jwks_uri"]


class TokenVerifier:
    def __init__(self, access: Access):
        self.issuer = access.oidc_issuer or ""
        self.audience = access.oidc_audience
        self.leeway = access.oidc_leeway
        self.algorithms = [a for a in access.oidc_algorithms if a not in FORBIDDEN_ALGORITHMS]
        self._jwks_url = access.oidc_jwks_url
        self._cooldown = access.oidc_jwks_cooldown
        self._client: jwt.PyJWKClient | None = None
        try:
            self.client().get_signing_keys()   # at start, so the first request does not wait
        except (ProviderUnavailable, jwt.PyJWKClientError) as error:
            LOG.warning("OIDC provider %s: keys not fetched at start (%s); retried on the "
                        "first token", self.issuer, error)

    def client(self) -> jwt.PyJWKClient:
        if self._client is None:
            try:
                url = self._jwks_url or discover_jwks(self.issuer)
            except (OSError, ValueError, KeyError) as error:
                raise ProviderUnavailable(f"no OpenID configuration at {self.issuer}: "
                                          f"{error}") from None
            self._client = jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=10,
                                           cooldown_duration=self._cooldown)
        return self._client

    def claims(self, token: str) -> dict:
        """The token's claims once it holds; :class:`InvalidToken` says why it does not."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise InvalidToken("the bearer token is not a JWT") from None
        if header.get("alg") not in self.algorithms:
            raise InvalidToken(f"the token's algorithm {str(header.get('alg'))[:20]!r} is not"
                               f" accepted ({', '.join(self.algorithms)})")
        try:
            key = self.client().get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError as error:
            raise ProviderUnavailable(str(error)) from None
        except (jwt.PyJWKClientError, jwt.DecodeError):
            raise InvalidToken("the token is not signed by a key of the provider") from None
        try:
            return jwt.decode(token, key.key, algorithms=self.algorithms,
                              audience=self.audience, issuer=self.issuer, leeway=self.leeway,
                              options={"require": ["exp", "iss"],
                                       "verify_aud": self.audience is not None})
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken(f"the token is not for this service (audience "
                               f"{self.audience})") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken(f"the token was not issued by {self.issuer}") from None
        except jwt.InvalidTokenError as error:
            raise InvalidToken(f"the token does not hold: {error}") from None


def roles(claims: dict) -> set[str]:
    """Keycloak's realm and client roles, plus ``roles`` and ``groups`` claims."""
    found = set(claims.get("roles") or []) | {g.strip("/") for g in claims.get("groups") or []}
    found |= set((claims.get("realm_access") or {}).get("roles") or [])
    for client in (claims.get("resource_access") or {}).values():
        found |= set((client or {}).get("roles") or [])
    return {r for r in found if isinstance(r, str)}
