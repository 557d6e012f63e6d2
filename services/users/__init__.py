"""Users and access: who a request comes from (OIDC bearer token, API key, HTTP Basic), what
the access policy lets them use, their quotas, and what they used (usage statistics).

Framework-free logic; the gateway calls :class:`services.users.gate.AccessGate` in one place.
"""

from services.users.principal import Principal, current

__all__ = ["Principal", "current"]
