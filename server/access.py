"""What the access gate enforces, decided without Streamlit: its configuration, the shared
password's hash and check, and the OIDC allow-list (the Streamlit pages around them are
:mod:`ui.gate`).

The configuration comes from ``.streamlit/secrets.toml`` and the environment
(:func:`resolve_config`):

1. **OIDC** (``st.login``): when the secrets have an ``[auth]`` section with ``redirect_uri``,
   ``cookie_secret`` and a provider (``client_id`` at the top of ``[auth]`` or an
   ``[auth.<name>]`` subsection). Optional ``allowed_emails`` / ``allowed_domains`` lists in
   ``[auth]`` restrict who may enter (a generic provider such as Google admits any account).
2. **Password**: ``[auth] password`` or ``[auth] password_hash`` in the secrets, else the
   environment variables ``MRRKIT_PASSWORD`` or ``MRRKIT_PASSWORD_HASH``. The hash form is
   ``pbkdf2_sha256$<iterations>$<salt>$<hex digest>``; make one with
   ``python -m ui.gate hash`` (or ``python -m server.access hash``).
3. **Nothing configured**: open local use.

A configuration that is present but unusable (an empty password, a malformed hash) is a
``ValueError``: the gate then closes the app instead of opening it, as the data behind it is
confidential.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "DEFAULT_ITERATIONS",
    "HASH_SCHEME",
    "AccessConfig",
    "check_password",
    "email_allowed",
    "hash_password",
    "main",
    "resolve_config",
]

_LOG = logging.getLogger(__name__)

HASH_SCHEME = "pbkdf2_sha256"
# OWASP's 2023 figure for PBKDF2-HMAC-SHA256; the count is stored in the hash, so older hashes
# keep working if this changes.
DEFAULT_ITERATIONS = 600_000


@dataclass(frozen=True)
class AccessConfig:
    """What the gate enforces.

    Attributes
    ----------
    mode : {"open", "password", "oidc"}
    password : str or None
        The plain shared password (password mode, plain form).
    password_hash : str or None
        ``pbkdf2_sha256$<iterations>$<salt>$<hex>`` (password mode, hash form).
    providers : tuple of str
        OIDC provider names to offer; ``None`` inside means the default ``[auth]`` provider.
    allowed_emails, allowed_domains : frozenset of str
        OIDC allow-list (lower case); both empty = any signed-in account.
    source : str
        Where the configuration came from, for messages (never the secret itself).
    """

    mode: Literal["open", "password", "oidc"]
    password: str | None = field(default=None, repr=False)
    password_hash: str | None = field(default=None, repr=False)
    providers: tuple[str | None, ...] = ()
    allowed_emails: frozenset[str] = frozenset()
    allowed_domains: frozenset[str] = frozenset()
    source: str = ""

    @property
    def fingerprint(self) -> str:
        """A digest identifying the credential, so a session admitted under an old password is
        asked again after the password changes. Never reveals the password."""
        material = f"{self.mode}\0{self.password or ''}\0{self.password_hash or ''}"
        return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _normalise(password: str) -> bytes:
    # NFC so the same password typed on different keyboards/OSes compares equal.
    return unicodedata.normalize("NFC", password).encode("utf-8")


def _parse_hash(encoded: str) -> tuple[int, str, bytes]:
    parts = encoded.strip().split("$")
    if len(parts) != 4 or parts[0] != HASH_SCHEME:
        raise ValueError(
            f"password hash must look like '{HASH_SCHEME}$<iterations>$<salt>$<hex digest>' "
            "(make one with `python -m ui.gate hash`)"
        )
    _, iterations_text, salt, digest_hex = parts
    try:
        iterations = int(iterations_text)
        digest = bytes.fromhex(digest_hex)
    except ValueError:
        raise ValueError(
            "password hash: iterations must be an integer and the digest hex"
        ) from None
    if iterations < 1 or not salt or len(digest) != 32:
        raise ValueError("password hash: needs iterations >= 1, a salt and a 32-byte digest")
    return iterations, salt, digest


def hash_password(
    password: str, *, salt: str | None = None, iterations: int = DEFAULT_ITERATIONS
) -> str:
    """Encode a password as ``pbkdf2_sha256$<iterations>$<salt>$<hex digest>``.

    Parameters
    ----------
    password : str
        The shared password (must not be empty).
    salt : str, optional
        Defaults to 16 random bytes (URL-safe text); pass one only for reproducible examples.
    iterations : int
        PBKDF2 iterations.

    Examples
    --------
    >>> encoded = hash_password("s3cret", salt="NaCl", iterations=1000)
    >>> encoded.split("$")[:3]
    ['pbkdf2_sha256', '1000', 'NaCl']
    >>> check_password("s3cret", AccessConfig("password", password_hash=encoded))
    True
    """
    if not password:
        raise ValueError("password must not be empty")
    if salt is None:
        salt = secrets.token_urlsafe(16)
    if "$" in salt or not salt:
        raise ValueError("salt must be non-empty and must not contain '$'")
    digest = hashlib.pbkdf2_hmac("sha256", _normalise(password), salt.encode("utf-8"), iterations)
    return f"{HASH_SCHEME}${iterations}${salt}${digest.hex()}"


def check_password(attempt: str, config: AccessConfig) -> bool:
    """Whether ``attempt`` is the configured password, compared in constant time.

    Plain passwords are compared through their SHA-256 digests with :func:`hmac.compare_digest`,
    so neither the content nor the length of the secret leaks through timing.

    Examples
    --------
    >>> config = AccessConfig("password", password="open sesame")
    >>> check_password("open sesame", config), check_password("open", config)
    (True, False)
    """
    if config.mode != "password":
        raise ValueError(f"check_password needs a password configuration, not {config.mode!r}")
    if not isinstance(attempt, str):
        return False
    if config.password_hash is not None:
        iterations, salt, expected = _parse_hash(config.password_hash)
        got = hashlib.pbkdf2_hmac("sha256", _normalise(attempt), salt.encode("utf-8"), iterations)
        return hmac.compare_digest(got, expected)
    if config.password is None:
        raise ValueError("password configuration without a password or a hash")
    return hmac.compare_digest(
        hashlib.sha256(_normalise(attempt)).digest(),
        hashlib.sha256(_normalise(config.password)).digest(),
    )


def _as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text_list(value: Any, name: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        value = [value]
    if not all(isinstance(v, str) for v in value):
        raise ValueError(f"[auth] {name} must be a list of strings")
    return frozenset(v.strip().lower().lstrip("@") for v in value if v.strip())


def _password_from(section: Mapping[str, Any], plain_key: str, hash_key: str, where: str):
    plain, hashed = section.get(plain_key), section.get(hash_key)
    if plain is not None and hashed is not None:
        raise ValueError(f"{where}: set either {plain_key} or {hash_key}, not both")
    if plain is not None:
        if not isinstance(plain, str) or not plain:
            raise ValueError(f"{where}: {plain_key} is set but empty")
        return AccessConfig("password", password=plain, source=f"{where} {plain_key}")
    if hashed is not None:
        if not isinstance(hashed, str):
            raise ValueError(f"{where}: {hash_key} must be text")
        _parse_hash(hashed)  # fail at start-up, not at the first login
        return AccessConfig("password", password_hash=hashed.strip(), source=f"{where} {hash_key}")
    return None


def resolve_config(secrets: Mapping[str, Any] | None, environ: Mapping[str, str]) -> AccessConfig:
    """Decide what the gate enforces from the Streamlit secrets and the environment.

    Precedence: OIDC in ``[auth]`` > password in ``[auth]`` > ``MRRKIT_PASSWORD`` /
    ``MRRKIT_PASSWORD_HASH`` > open. Raises ``ValueError`` for a configuration that is present
    but unusable, so the caller can fail closed.

    Examples
    --------
    >>> resolve_config({}, {}).mode
    'open'
    >>> resolve_config({}, {"MRRKIT_PASSWORD": "pw"}).mode
    'password'
    >>> oidc = {"auth": {"redirect_uri": "https://x.example/oauth2callback",
    ...                  "cookie_secret": "c" * 32, "client_id": "id", "client_secret": "s",
    ...                  "server_metadata_url": "https://idp.example/.well-known/openid",
    ...                  "allowed_domains": ["example.com"]}}
    >>> cfg = resolve_config(oidc, {"MRRKIT_PASSWORD": "pw"})
    >>> cfg.mode, cfg.providers, sorted(cfg.allowed_domains)
    ('oidc', (None,), ['example.com'])
    """
    auth = _as_mapping((secrets or {}).get("auth"))
    if auth.get("redirect_uri") and auth.get("cookie_secret"):
        providers: list[str | None] = []
        if auth.get("client_id"):
            providers.append(None)  # the default provider: st.login() with no argument
        providers += sorted(
            name for name, sub in auth.items() if isinstance(sub, Mapping) and sub.get("client_id")
        )
        if providers:
            if _password_from(auth, "password", "password_hash", "[auth]") is not None:
                _LOG.warning("mrrkit gate: OIDC is configured, so [auth] password is ignored")
            return AccessConfig(
                "oidc",
                providers=tuple(providers),
                allowed_emails=_text_list(auth.get("allowed_emails"), "allowed_emails"),
                allowed_domains=_text_list(auth.get("allowed_domains"), "allowed_domains"),
                source="[auth] OIDC",
            )
    from_secrets = _password_from(auth, "password", "password_hash", "[auth]")
    if from_secrets is not None:
        return from_secrets
    from_env = _password_from(environ, "MRRKIT_PASSWORD", "MRRKIT_PASSWORD_HASH", "environment")
    if from_env is not None:
        return from_env
    return AccessConfig("open", source="no access control configured")


def email_allowed(email: str | None, config: AccessConfig, *, verified: bool | None = None) -> bool:
    """Whether a signed-in OIDC user may enter.

    No allow-list = anyone the provider signs in. With a list, the e-mail must match exactly or
    by domain, and a provider that says the address is unverified is refused.

    Examples
    --------
    >>> cfg = AccessConfig("oidc", providers=(None,), allowed_domains=frozenset({"acme.com"}))
    >>> email_allowed("Ann@ACME.com", cfg), email_allowed("eve@evil.com", cfg)
    (True, False)
    >>> email_allowed("ann@acme.com", cfg, verified=False)
    False
    """
    if not config.allowed_emails and not config.allowed_domains:
        return True
    if not email or verified is False:
        return False
    email = email.strip().lower()
    domain = email.rpartition("@")[2]
    return email in config.allowed_emails or domain in config.allowed_domains


def main(argv: list[str] | None = None, *, prog: str = "python -m server.access") -> int:
    """The command line: ``hash`` asks for a password twice and prints its hash (for
    ``MRRKIT_PASSWORD_HASH`` or ``[auth] password_hash``); 0 on success, 1 when the two differ."""
    import argparse
    import getpass

    parser = argparse.ArgumentParser(prog=prog)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("hash", help="print a password hash for MRRKIT_PASSWORD_HASH / password_hash")
    parser.parse_args(argv)
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        print("The two passwords differ.")
        return 1
    print(hash_password(first))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
