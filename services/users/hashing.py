"""Secrets as stored: passwords hashed with scrypt (salted, slow), API keys as SHA-256 digests.

An API key is 256 random bits, so a fast digest is enough to make the stored value useless to
a thief while keeping every request's look-up cheap; a password may be guessable, so it gets
scrypt. Both come from the standard library; comparisons are constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

KEY_PREFIX = "eos_"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        computed = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n),
                                  r=int(r), p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return scheme == "scrypt" and hmac.compare_digest(computed, expected)


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
