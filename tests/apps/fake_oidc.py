"""A tiny OpenID Connect provider for the browser test of the OIDC gate (tests/e2e/test_e2e.py).

It serves discovery, an authorization endpoint that signs in a fixed user at once (no form) and
sends the browser back with a code, a token endpoint that returns an RS256-signed ID token
(issuer, audience, nonce, expiry: what Authlib checks for ``st.login``), and its JWKS. Loopback
only, one thread, stopped by :meth:`FakeOIDC.stop`.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

__all__ = ["FakeOIDC"]


class FakeOIDC:
    """``FakeOIDC(client_id, client_secret)``; ``issuer`` is its base URL, ``email`` the user it
    signs in (change it between sign-ins), ``sign_ins`` how many codes it handed out."""

    def __init__(self, client_id: str, client_secret: str, email: str = "ann@acme.com") -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._kid = secrets.token_hex(8)
        self.client_id, self.client_secret, self.email = client_id, client_secret, email
        self.sign_ins = 0
        self._codes: dict[str, dict] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _id_token(self, nonce: str | None, email: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer, "sub": email, "aud": self.client_id, "iat": now,
            "exp": now + 600, "email": email, "email_verified": True, "name": email,
        }
        if nonce:
            claims["nonce"] = nonce
        header = {"alg": "RS256", "kid": self._kid, "typ": "JWT"}
        return _jws(header, claims, self._key)

    def jwk(self) -> dict:
        """The public key as a JSON Web Key (RFC 7517)."""
        numbers = self._key.public_key().public_numbers()
        return {
            "kty": "RSA", "kid": self._kid, "use": "sig", "alg": "RS256",
            "n": _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": _b64(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
        }

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _json(self, payload: dict, status: int = 200) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    self._json({
                        "issuer": provider.issuer,
                        "authorization_endpoint": f"{provider.issuer}/authorize",
                        "token_endpoint": f"{provider.issuer}/token",
                        "jwks_uri": f"{provider.issuer}/jwks",
                        "response_types_supported": ["code"],
                        "subject_types_supported": ["public"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                        "scopes_supported": ["openid", "email", "profile"],
                        "token_endpoint_auth_methods_supported": [
                            "client_secret_basic", "client_secret_post"
                        ],
                    })
                elif url.path == "/jwks":
                    self._json({"keys": [provider.jwk()]})
                elif url.path == "/authorize":
                    if query.get("client_id") != provider.client_id:
                        self._json({"error": "unauthorized_client"}, 400)
                        return
                    code = secrets.token_urlsafe(16)
                    provider._codes[code] = {"nonce": query.get("nonce"), "email": provider.email}
                    provider.sign_ins += 1
                    target = query["redirect_uri"] + "?" + urlencode(
                        {"code": code, "state": query.get("state", "")}
                    )
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.end_headers()
                else:
                    self._json({"error": "not found"}, 404)

            def do_POST(self) -> None:  # noqa: N802
                if urlsplit(self.path).path != "/token":
                    self._json({"error": "not found"}, 404)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                grant = provider._codes.pop(form.get("code", ""), None)
                if grant is None:
                    self._json({"error": "invalid_grant"}, 400)
                    return
                self._json({
                    "access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                    "expires_in": 600, "scope": "openid email profile",
                    "id_token": provider._id_token(grant["nonce"], grant["email"]),
                })

        return Handler


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _jws(header: dict, claims: dict, key) -> str:
    """A compact JWS signed with RS256 (RFC 7515 / 7518): header.payload.signature."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    signing_input = ".".join(
        _b64(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"
