"""A local OpenID Connect provider for the tests: RSA keys generated here (``cryptography``),
its openid-configuration, JWKS and a token endpoint (resource-owner password grant, as
terracatalogueclient uses) served on a loopback port by a thread; tokens signed with PyJWT."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

AUDIENCE = "eoscope"


class Issuer:
    """The provider; ``rotate()`` publishes a new signing key (the old one stays listed)."""

    def __init__(self, passwords: dict[str, str] | None = None):
        self.passwords = passwords or {}
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.kid = ""
        self.jwks_fetches = 0
        self.rotate()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/realms/eo"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def rotate(self) -> str:
        self.kid = f"key-{len(self.keys) + 1}"
        self.keys[self.kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self.kid

    def jwks(self) -> dict:
        keys = []
        for kid, key in self.keys.items():
            jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": keys}

    def token(self, subject: str = "alice", *, lifetime: float = 300, audience: str = AUDIENCE,
              issuer: str | None = None, key: rsa.RSAPrivateKey | None = None,
              kid: str | None = None, **claims) -> str:
        now = time.time()
        payload = {"iss": issuer or self.url, "aud": audience, "sub": f"id-{subject}",
                   "preferred_username": subject, "iat": int(now), "exp": int(now + lifetime),
                   **claims}
        return jwt.encode(payload, key or self.keys[self.kid], algorithm="RS256",
                          headers={"kid": kid or self.kid})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _json(self, document: dict, status: int = 200) -> None:
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path.endswith("/.well-known/openid-configuration"):
                    self._json({"issuer": issuer.url, "jwks_uri": f"{issuer.url}/certs",
                                "token_endpoint": f"{issuer.url}/token",
                                "id_token_signing_alg_values_supported": ["RS256"]})
                elif self.path.endswith("/certs"):
                    issuer.jwks_fetches += 1
                    self._json(issuer.jwks())
                else:
                    self._json({"error": "not found"}, 404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                user = form.get("username", "")
                if form.get("grant_type") != "password" or \
                        issuer.passwords.get(user) != form.get("password"):
                    self._json({"error": "invalid_grant"}, 400)
                    return
                self._json({"access_token": issuer.token(user), "token_type": "Bearer",
                            "expires_in": 300})

        return Handler
