"""Bearer tokens for the REST API: the key-set schema, issuing, rotation, revocation, HS verification.

Why this module stands alone: the authorizer Lambda (`lambda/authorizer.py`) and the admin CLI
(`entrec token ...`) must agree on one key-set format stored in AWS Secrets Manager. This file
imports only the standard library and PyJWT (lazily), and nothing from `engine`, so
`lambda/build.py` copies it verbatim into both Lambda zips as the top-level module
`entrec_tokens`: one source of truth, no drift, no spaCy in the zips.

Key-set secret (SecretString, JSON)::

    {"format": "entrec-keyset/1", "issuer": "entrec", "audience": "entrec-api",
     "current":  {"kid": "k-20250101T000000Z-1a2b", "alg": "HS256", "secret": "<base64url>",
                  "created_at": 1735689600, "not_after": 1738281600},
     "previous": {... same fields ...} | null,
     "revoked":  {"<jti>": <exp, epoch seconds>}}

- Tokens carry the signing key's `kid`; both `current` and `previous` verify, so a rotation
  never breaks live tokens; a key dropped by the *next* rotation stops verifying.
- `not_after` is the latest `exp` of any token issued with that key: `rotate` refuses (unless
  forced) to drop a previous key that still has live tokens.
- `revoked` maps token ids to their expiry so entries can be pruned once the token is dead.
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = [
    "FORMAT", "ALLOWED_HS_ALGS", "DEFAULT_ISSUER", "DEFAULT_AUDIENCE", "DEFAULT_LEEWAY", "MAX_TTL",
    "Route", "ROUTES", "SCOPES", "SigningKey", "KeySet", "IssuedToken", "KeySetError", "TokenError",
    "new_key", "new_keyset", "issue", "rotate", "revoke", "verify", "unverified_header", "map_jwt_error",
    "REQUIRED_CLAIMS", "parse_duration",
    "scopes_from_claims", "routes_for_scopes", "load_keyset", "store_keyset", "create_keyset_secret",
]

FORMAT = "entrec-keyset/1"
ALLOWED_HS_ALGS = ("HS256", "HS384", "HS512")
DEFAULT_ISSUER = "entrec"
DEFAULT_AUDIENCE = "entrec-api"
DEFAULT_LEEWAY = 30  # seconds of clock skew tolerated on exp/nbf/iat
MAX_TTL = 400 * 86400  # a token living longer than this is a shared secret in disguise
MIN_SECRET_BYTES = 32


@dataclass(frozen=True)
class Route:
    """One REST route: the scope that grants it and the predictor models it asks for."""

    method: str
    path: str
    scope: str
    models: tuple[str, ...]


ROUTES: dict[str, Route] = {
    "/v1/entities": Route("POST", "/v1/entities", "entities:invoke", ("entities",)),
    "/v1/inequalities": Route("POST", "/v1/inequalities", "inequalities:invoke", ("inequalities",)),
}
SCOPES: dict[str, Route] = {r.scope: r for r in ROUTES.values()}


try:  # in the package: join entrec's exception tree
    from entrec.engine.errors import EntrecError as _ErrorRoot
except ImportError:  # vendored alone into a Lambda zip (no entrec package there)
    class _ErrorRoot(Exception):  # type: ignore[no-redef]
        code = "entrec-error"


class KeySetError(_ErrorRoot, ValueError):
    """The key set is missing, malformed, or an admin operation on it is refused."""

    def __init__(self, message: str, code: str = "keyset-invalid", hint: str | None = None):
        Exception.__init__(self, message)
        self.message = message
        self.code = code
        self.hint = hint


class TokenError(_ErrorRoot):
    """A bearer token is rejected; `code` says why (logged, never the token itself)."""

    def __init__(self, code: str, message: str = ""):
        Exception.__init__(self, message or code)
        self.message = message or code
        self.hint = None
        self.code = code


def _b64d(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _b64e(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class SigningKey:
    """One HMAC signing key; `alg` is pinned per key (HS only: this set never holds RS/ES keys)."""

    kid: str
    secret: bytes = field(repr=False)
    alg: str = "HS256"
    created_at: int = 0
    not_after: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kid": self.kid, "alg": self.alg, "secret": _b64e(self.secret),
                "created_at": self.created_at, "not_after": self.not_after}

    @classmethod
    def from_dict(cls, d: Any, where: str) -> "SigningKey":
        if not isinstance(d, dict):
            raise KeySetError(f"key set: '{where}' must be an object")
        kid, alg, sec = d.get("kid"), d.get("alg", "HS256"), d.get("secret")
        if not isinstance(kid, str) or not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", kid):
            raise KeySetError(f"key set: '{where}.kid' must be 1-64 chars of [A-Za-z0-9._-]")
        if alg not in ALLOWED_HS_ALGS:
            raise KeySetError(f"key set: '{where}.alg' is {alg!r}; allowed: {', '.join(ALLOWED_HS_ALGS)}")
        if not isinstance(sec, str):
            raise KeySetError(f"key set: '{where}.secret' must be a base64url string")
        try:
            raw = _b64d(sec)
        except (binascii.Error, ValueError):
            raise KeySetError(f"key set: '{where}.secret' is not valid base64url") from None
        if len(raw) < MIN_SECRET_BYTES:
            raise KeySetError(f"key set: '{where}.secret' is {len(raw)} bytes; at least {MIN_SECRET_BYTES}")
        created, not_after = d.get("created_at", 0), d.get("not_after")
        if not isinstance(created, int) or (not_after is not None and not isinstance(not_after, int)):
            raise KeySetError(f"key set: '{where}.created_at'/'not_after' must be integers (epoch seconds)")
        return cls(kid=kid, secret=raw, alg=alg, created_at=created, not_after=not_after)


@dataclass(frozen=True)
class KeySet:
    """The whole secret: issuer/audience the tokens are bound to, the two keys, the revocations."""

    current: SigningKey
    previous: SigningKey | None = None
    issuer: str = DEFAULT_ISSUER
    audience: str = DEFAULT_AUDIENCE
    revoked: Mapping[str, int] = field(default_factory=dict)

    def key_for(self, kid: str) -> SigningKey | None:
        for k in (self.current, self.previous):
            if k is not None and k.kid == kid:
                return k
        return None

    def to_json(self) -> str:
        return json.dumps({
            "format": FORMAT, "issuer": self.issuer, "audience": self.audience,
            "current": self.current.to_dict(),
            "previous": self.previous.to_dict() if self.previous else None,
            "revoked": dict(sorted(self.revoked.items())),
        }, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "KeySet":
        try:
            d = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise KeySetError(f"key set is not JSON ({exc})") from None
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise KeySetError(f"key set: 'format' must be {FORMAT!r}",
                              hint="create the secret with `entrec token init`")
        iss, aud = d.get("issuer"), d.get("audience")
        if not isinstance(iss, str) or not iss or not isinstance(aud, str) or not aud:
            raise KeySetError("key set: 'issuer' and 'audience' must be non-empty strings")
        current = SigningKey.from_dict(d.get("current"), "current")
        previous = None if d.get("previous") is None else SigningKey.from_dict(d["previous"], "previous")
        if previous is not None and previous.kid == current.kid:
            raise KeySetError("key set: 'current' and 'previous' share a kid")
        revoked = d.get("revoked") or {}
        if not isinstance(revoked, dict) or not all(
                isinstance(k, str) and isinstance(v, int) for k, v in revoked.items()):
            raise KeySetError("key set: 'revoked' must map token ids to expiry epochs")
        return cls(current=current, previous=previous, issuer=iss, audience=aud, revoked=revoked)


@dataclass(frozen=True)
class IssuedToken:
    token: str = field(repr=False)
    claims: dict[str, Any]
    keyset: KeySet  # updated `not_after` of the signing key: store it back


def new_key(now: int | None = None, alg: str = "HS256") -> SigningKey:
    """A fresh 256-bit random key with a sortable, unique kid."""
    now = int(time.time()) if now is None else now
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    return SigningKey(kid=f"k-{stamp}-{secrets.token_hex(3)}", secret=secrets.token_bytes(32),
                      alg=alg, created_at=now)


def new_keyset(issuer: str = DEFAULT_ISSUER, audience: str = DEFAULT_AUDIENCE,
               now: int | None = None) -> KeySet:
    return KeySet(current=new_key(now), issuer=issuer, audience=audience)


_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> int:
    """'30d' -> seconds. Units s, m, h, d, w; a bare number is seconds."""
    m = _DURATION.match(str(text).lower())
    if not m or int(m.group(1)) <= 0:
        raise KeySetError(f"bad duration {text!r}: use e.g. 90m, 12h, 30d, 2w", code="bad-duration")
    return int(m.group(1)) * _UNIT[m.group(2)]


def issue(keyset: KeySet, *, sub: str, scopes: list[str] | tuple[str, ...], ttl: int,
          now: int | None = None, not_before: int | None = None) -> IssuedToken:
    """Sign a token with the current key; returns it with the key set to write back."""
    import jwt

    now = int(time.time()) if now is None else now
    if not isinstance(sub, str) or not sub.strip() or len(sub) > 128:
        raise KeySetError("--sub must be a non-empty name of at most 128 characters", code="bad-subject")
    if not scopes:
        raise KeySetError(f"at least one scope is required ({', '.join(SCOPES)})", code="unknown-scope")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise KeySetError(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}",
                          code="unknown-scope")
    if ttl <= 0 or ttl > MAX_TTL:
        raise KeySetError(f"ttl must be between 1 s and {MAX_TTL // 86400} days", code="bad-duration")
    nbf = now if not_before is None else not_before
    claims = {"iss": keyset.issuer, "aud": keyset.audience, "sub": sub.strip(),
              "scope": " ".join(dict.fromkeys(scopes)), "iat": now, "nbf": nbf,
              "exp": nbf + ttl, "jti": uuid.uuid4().hex}
    key = keyset.current
    token = jwt.encode(claims, key.secret, algorithm=key.alg, headers={"kid": key.kid, "typ": "JWT"})
    not_after = max(key.not_after or 0, claims["exp"])
    updated = dataclasses.replace(keyset, current=dataclasses.replace(key, not_after=not_after))
    return IssuedToken(token=token, claims=claims, keyset=updated)


def _prune(revoked: Mapping[str, int], now: int) -> dict[str, int]:
    return {j: e for j, e in revoked.items() if e + DEFAULT_LEEWAY >= now}


def rotate(keyset: KeySet, *, now: int | None = None, force: bool = False) -> KeySet:
    """current -> previous, a new current; the old previous is dropped (its tokens stop working)."""
    now = int(time.time()) if now is None else now
    old = keyset.previous
    if old is not None and old.not_after is not None and old.not_after > now and not force:
        left = old.not_after - now
        raise KeySetError(
            f"key {old.kid} still signs live tokens for {left // 86400}d {left % 86400 // 3600}h; "
            "rotating now would break them", code="rotation-would-break-tokens",
            hint="wait until they expire, reissue them, or pass --force")
    return dataclasses.replace(keyset, previous=keyset.current, current=new_key(now, keyset.current.alg),
                               revoked=_prune(keyset.revoked, now))


def revoke(keyset: KeySet, jti: str, *, exp: int | None = None, now: int | None = None) -> KeySet:
    """Add a token id to the revocation list (kept until the token would have expired)."""
    now = int(time.time()) if now is None else now
    if not isinstance(jti, str) or not re.fullmatch(r"[A-Za-z0-9._-]{1,128}", jti):
        raise KeySetError(f"not a token id: {jti!r}", code="bad-token-id")
    if exp is None:  # unknown expiry: keep it as long as any key could still vouch for it
        exp = max([k.not_after or 0 for k in (keyset.current, keyset.previous) if k] + [now + MAX_TTL])
    revoked = _prune(keyset.revoked, now)
    revoked[jti] = max(exp, revoked.get(jti, 0))
    return dataclasses.replace(keyset, revoked=revoked)


def scopes_from_claims(claims: Mapping[str, Any]) -> frozenset[str]:
    """OAuth `scope` (space-separated string) or `scp` (string or list, as Okta/Entra ID emit)."""
    out: set[str] = set()
    for name in ("scope", "scp"):
        v = claims.get(name)
        if isinstance(v, str):
            out.update(v.split())
        elif isinstance(v, list):
            out.update(s for s in v if isinstance(s, str))
    return frozenset(out)


def routes_for_scopes(scopes: frozenset[str] | set[str]) -> list[Route]:
    return [r for s, r in SCOPES.items() if s in scopes]


def map_jwt_error(exc: Exception) -> TokenError:
    import jwt

    table = [
        (jwt.ExpiredSignatureError, "token-expired"),
        (jwt.ImmatureSignatureError, "token-not-yet-valid"),
        (jwt.InvalidIssuerError, "token-bad-issuer"),
        (jwt.InvalidAudienceError, "token-bad-audience"),
        (jwt.MissingRequiredClaimError, "token-missing-claim"),
        (jwt.InvalidSignatureError, "token-bad-signature"),
        (jwt.InvalidAlgorithmError, "token-alg-not-allowed"),
        (jwt.InvalidIssuedAtError, "token-bad-iat"),
        (jwt.InvalidKeyError, "token-bad-key"),
        (jwt.DecodeError, "token-malformed"),
    ]
    for cls, code in table:
        if isinstance(exc, cls):
            return TokenError(code, str(exc))
    return TokenError("token-invalid", type(exc).__name__)


REQUIRED_CLAIMS = ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"]


def unverified_header(token: str) -> dict[str, Any]:
    import jwt

    try:
        h = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenError("token-malformed") from None
    if not isinstance(h, dict):
        raise TokenError("token-malformed")
    return h


def verify(keyset: KeySet, token: str, *, leeway: int = DEFAULT_LEEWAY) -> dict[str, Any]:
    """Verify an HS token against the key set; returns its claims or raises TokenError.

    The algorithm comes from the key the `kid` names, never from the token: a header that
    says `none`, RS256 or another HS variant is refused before any signature check.
    """
    import jwt

    header = unverified_header(token)
    kid = header.get("kid")
    key = keyset.key_for(kid) if isinstance(kid, str) else None
    if key is None:
        raise TokenError("token-unknown-kid")
    if header.get("alg") != key.alg:
        raise TokenError("token-alg-not-allowed")
    try:
        claims = jwt.decode(token, key.secret, algorithms=[key.alg], issuer=keyset.issuer,
                            audience=keyset.audience, leeway=leeway,
                            options={"require": REQUIRED_CLAIMS, "verify_signature": True})
    except jwt.PyJWTError as exc:
        raise map_jwt_error(exc) from None
    if claims.get("jti") in keyset.revoked:
        raise TokenError("token-revoked")
    return claims


# --- Secrets Manager I/O (client is any botocore `secretsmanager` client) -----------------

def load_keyset(client: Any, secret_id: str) -> KeySet:
    try:
        resp = client.get_secret_value(SecretId=secret_id)
    except Exception as exc:  # botocore ClientError; keep botocore out of this module
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
        if code == "ResourceNotFoundException":
            raise KeySetError(f"secret {secret_id!r} not found", code="keyset-not-found",
                              hint="create it with `entrec token init`") from None
        raise KeySetError(f"cannot read secret {secret_id!r}: {code}", code="keyset-unreadable") from None
    if "SecretString" not in resp:
        raise KeySetError(f"secret {secret_id!r} has no SecretString")
    return KeySet.from_json(resp["SecretString"])


def store_keyset(client: Any, secret_id: str, keyset: KeySet) -> str:
    """Write a new version (AWSCURRENT); returns its VersionId."""
    return client.put_secret_value(SecretId=secret_id, SecretString=keyset.to_json())["VersionId"]


def create_keyset_secret(client: Any, secret_id: str, keyset: KeySet, *, kms_key_id: str | None = None,
                         description: str = "entrec REST API token signing keys") -> str:
    kw: dict[str, Any] = {"Name": secret_id, "SecretString": keyset.to_json(), "Description": description}
    if kms_key_id:
        kw["KmsKeyId"] = kms_key_id
    try:
        return client.create_secret(**kw)["ARN"]
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
        if code == "ResourceExistsException":
            raise KeySetError(f"secret {secret_id!r} already exists", code="keyset-exists",
                              hint="use `entrec token rotate` to change its keys") from None
        raise
