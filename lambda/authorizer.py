"""API Gateway Lambda authorizer: `Authorization: Bearer <JWT>` -> IAM policy.

Works as a REST API REQUEST or TOKEN authorizer and as an HTTP API (payload 2.0) authorizer
with simple responses off (it always answers with an IAM policy).

Why the policy covers every granted route: API Gateway caches the authorizer's answer per
token (identity source) and applies it to later calls on *other* routes; a policy naming only
the route being called would then deny the token's other granted routes.

Two key sources, chosen per token by its (unverified) `iss`, then fully verified:
- HS key set in Secrets Manager (`KEYSET_SECRET_ID`): `current` and `previous` keys with
  `kid`, issuer/audience, revoked token ids (format: `entrec_tokens`, i.e. `keyset/__init__.py`
  vendored by `lambda/build.py`). Cached `KEYSET_CACHE_SECONDS` (300); an unknown `kid`
  forces a refresh at most every `KEYSET_MIN_REFRESH_SECONDS` (30), so a fresh rotation
  works at once.
- OIDC identity provider (`OIDC_ISSUER`, `OIDC_AUDIENCE`, `OIDC_JWKS_URL`): RS256/ES256 keys
  from the JWKS, algorithm pinned by each key's type; HS tokens are never accepted there.

Environment: KEYSET_SECRET_ID, KEYSET_CACHE_SECONDS, KEYSET_MIN_REFRESH_SECONDS,
JWT_LEEWAY_SECONDS (30), OIDC_ISSUER, OIDC_AUDIENCE, OIDC_JWKS_URL, OIDC_ALGORITHMS
("RS256,ES256"), OIDC_SCOPE_PREFIX (stripped from IdP scopes, e.g. "api://entrec/").
The token never appears in logs: only the reason code, kid, jti and subject.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import jwt
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerEventV2, APIGatewayAuthorizerRequestEvent, APIGatewayAuthorizerResponse,
    APIGatewayAuthorizerTokenEvent, parse_api_gateway_arn)

try:  # inside the zip: vendored copy of keyset/__init__.py
    import entrec_tokens as tokens
except ImportError:  # running from the checkout
    from entrec import keyset as tokens

__all__ = ["Settings", "KeySetCache", "JwksVerifier", "Authorizer", "lambda_handler", "UNAUTHORIZED"]

log = logging.getLogger("entrec.authorizer")
log.setLevel(os.environ.get("LOG_LEVEL", "INFO"))

UNAUTHORIZED = "Unauthorized"  # the exact message API Gateway turns into a 401
OIDC_ALGS_SUPPORTED = {"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"}


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True)
class Settings:
    keyset_secret_id: str | None = None
    keyset_cache_seconds: int = 300
    keyset_min_refresh_seconds: int = 30
    leeway: int = tokens.DEFAULT_LEEWAY
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_algorithms: tuple[str, ...] = ("RS256", "ES256")
    oidc_scope_prefix: str = ""
    secrets_endpoint_url: str | None = None  # tests / local; AWS_ENDPOINT_URL_SECRETS_MANAGER also works
    region: str | None = None

    @classmethod
    def from_env(cls) -> "Settings":
        e = os.environ
        algs = tuple(a.strip() for a in e.get("OIDC_ALGORITHMS", "RS256,ES256").split(",") if a.strip())
        return cls(keyset_secret_id=e.get("KEYSET_SECRET_ID") or None,
                   keyset_cache_seconds=_env_int("KEYSET_CACHE_SECONDS", 300),
                   keyset_min_refresh_seconds=_env_int("KEYSET_MIN_REFRESH_SECONDS", 30),
                   leeway=_env_int("JWT_LEEWAY_SECONDS", tokens.DEFAULT_LEEWAY),
                   oidc_issuer=e.get("OIDC_ISSUER") or None, oidc_audience=e.get("OIDC_AUDIENCE") or None,
                   oidc_jwks_url=e.get("OIDC_JWKS_URL") or None, oidc_algorithms=algs,
                   oidc_scope_prefix=e.get("OIDC_SCOPE_PREFIX", ""))


class KeySetCache:
    """The Secrets Manager key set, fetched lazily and kept for `ttl` seconds per container.

    Fails closed and stays polite to Secrets Manager: any fetch failure (endpoint down,
    throttled, secret missing, malformed key set, anything the fetch raises) becomes a
    `KeySetError`, and *every* fetch attempt, failed or not, opens a `min_refresh` window in
    which no other fetch is made. A cold container with Secrets Manager down therefore makes
    one call per window and denies every token meanwhile; a warm one keeps its cached set
    until `ttl`, then denies (never serves keys older than `ttl`).
    """

    def __init__(self, fetch: Callable[[], "tokens.KeySet"], ttl: int = 300, min_refresh: int = 30,
                 clock: Callable[[], float] = time.monotonic):
        self._fetch, self._ttl, self._min_refresh, self._clock = fetch, ttl, min_refresh, clock
        self._value: tokens.KeySet | None = None
        self._at = float("-inf")  # last successful fetch
        self._tried_at = float("-inf")  # last attempt, successful or not
        self._error: tokens.KeySetError | None = None  # why the last attempt failed
        self._lock = threading.Lock()
        self.fetches = 0  # attempts (each may be up to botocore's max attempts HTTP calls)
        self.failures = 0

    def get(self) -> "tokens.KeySet":
        """The cached key set, refetched once stale; `KeySetError` when none is usable."""
        with self._lock:
            now = self._clock()
            if self._value is not None and now - self._at < self._ttl:
                return self._value
            if now - self._tried_at >= self._min_refresh:
                self._load(now)
            if self._value is not None and now - self._at < self._ttl:
                return self._value
            raise self._error or tokens.KeySetError("key set unavailable", code="keyset-unreadable")

    def refresh_if_stale(self) -> bool:
        """Refetch (rate-limited) when a token names a kid the cached set lacks.

        True when a fetch succeeded; never raises (a failed refresh keeps the cached set).
        """
        with self._lock:
            now = self._clock()
            if now - self._tried_at < self._min_refresh:
                return False
            return self._load(now)

    def _load(self, now: float) -> bool:
        self._tried_at = now
        self.fetches += 1
        try:
            value = self._fetch()
        except tokens.KeySetError as exc:
            self._failed(exc)
            return False
        except Exception as exc:  # botocore, JSON recursion, anything: deny, do not crash
            self._failed(tokens.KeySetError(f"key set fetch failed: {type(exc).__name__}",
                                            code="keyset-unreadable"))
            return False
        self._value, self._at, self._error = value, now, None
        return True

    def _failed(self, exc: "tokens.KeySetError") -> None:
        self._error = exc
        self.failures += 1
        log.warning(json.dumps({"event": "keyset-fetch-failed", "code": exc.code,
                                "retry_after_seconds": self._min_refresh}))


class JwksVerifier:
    """RS/ES tokens from an OIDC issuer, keys from its JWKS (PyJWKClient caches them)."""

    def __init__(self, settings: Settings):
        if not (settings.oidc_issuer and settings.oidc_audience and settings.oidc_jwks_url):
            raise ValueError("OIDC mode needs OIDC_ISSUER, OIDC_AUDIENCE and OIDC_JWKS_URL")
        bad = set(settings.oidc_algorithms) - OIDC_ALGS_SUPPORTED
        if bad:
            raise ValueError(f"OIDC_ALGORITHMS may list only asymmetric algorithms, not {sorted(bad)}")
        self.s = settings
        self.client = jwt.PyJWKClient(settings.oidc_jwks_url, cache_keys=True, lifespan=300, timeout=3)

    def verify(self, token: str) -> dict[str, Any]:
        header = tokens.unverified_header(token)
        alg = header.get("alg")
        if alg not in self.s.oidc_algorithms:
            raise tokens.TokenError("token-alg-not-allowed")
        try:
            jwk = self.client.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError:
            raise tokens.TokenError("jwks-unreachable") from None
        except jwt.PyJWTError:
            raise tokens.TokenError("token-unknown-kid") from None
        # The key pins the algorithm: an RSA key only verifies RS/PS, an EC key only its curve.
        if jwk.algorithm_name != alg:
            raise tokens.TokenError("token-alg-not-allowed")
        try:
            return jwt.decode(token, jwk.key, algorithms=[alg], issuer=self.s.oidc_issuer,
                              audience=self.s.oidc_audience, leeway=self.s.leeway,
                              options={"require": ["exp", "iat", "iss", "aud", "sub"]})
        except jwt.PyJWTError as exc:
            raise tokens.map_jwt_error(exc) from None


def _secrets_client(settings: Settings):
    import botocore.config
    import botocore.session

    cfg = botocore.config.Config(connect_timeout=2, read_timeout=3,
                                 retries={"total_max_attempts": 2, "mode": "standard"})
    return botocore.session.get_session().create_client(
        "secretsmanager", region_name=settings.region, endpoint_url=settings.secrets_endpoint_url, config=cfg)


def _bearer(event: dict[str, Any]) -> str | None:
    """The token from a TOKEN event, a REQUEST event (v1 headers) or an HTTP API v2 event."""
    if event.get("type") == "TOKEN":
        raw = APIGatewayAuthorizerTokenEvent(event).get("authorizationToken")
    elif event.get("version") == "2.0":
        ev2 = APIGatewayAuthorizerEventV2(event)
        raw = ev2.get_header_value("authorization", default_value="") or None
        if raw is None and ev2.identity_source:
            raw = ev2.identity_source[0]
    else:
        raw = APIGatewayAuthorizerRequestEvent(event).get_header_value("authorization", default_value="") or None
    if not isinstance(raw, str):
        return None
    parts = raw.strip().split()
    if len(parts) != 2 or parts[0].lower() != "bearer" or parts[1].count(".") != 2:
        return None
    return parts[1]


class Authorizer:
    """Callable handler; build one per container (keys cached inside)."""

    def __init__(self, settings: Settings, *, keyset_client: Any = None,
                 clock: Callable[[], float] = time.monotonic):
        self.s = settings
        self.keys: KeySetCache | None = None
        if settings.keyset_secret_id:
            client = keyset_client
            secret_id = settings.keyset_secret_id

            def fetch() -> tokens.KeySet:
                nonlocal client
                if client is None:
                    client = _secrets_client(settings)
                return tokens.load_keyset(client, secret_id)

            self.keys = KeySetCache(fetch, settings.keyset_cache_seconds, settings.keyset_min_refresh_seconds,
                                    clock=clock)
        self.oidc = JwksVerifier(settings) if settings.oidc_jwks_url else None
        if self.keys is None and self.oidc is None:
            raise ValueError("configure KEYSET_SECRET_ID and/or OIDC_JWKS_URL")

    # -- verification -------------------------------------------------------------------
    def verify(self, token: str) -> tuple[dict[str, Any], frozenset[str]]:
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise tokens.TokenError("token-malformed") from None
        if self.oidc is not None and unverified.get("iss") == self.s.oidc_issuer:
            claims = self.oidc.verify(token)
            prefix = self.s.oidc_scope_prefix
            scopes = frozenset(s[len(prefix):] if prefix and s.startswith(prefix) else s
                               for s in tokens.scopes_from_claims(claims))
            return claims, scopes
        if self.keys is None:
            raise tokens.TokenError("token-bad-issuer")
        try:
            keyset = self.keys.get()
        except tokens.KeySetError as exc:
            raise tokens.TokenError("keyset-unavailable", exc.code) from None
        header = tokens.unverified_header(token)
        if isinstance(header.get("kid"), str) and keyset.key_for(header["kid"]) is None:
            if self.keys.refresh_if_stale():  # maybe rotated since we cached it
                keyset = self.keys.get()
        claims = tokens.verify(keyset, token, leeway=self.s.leeway)
        return claims, tokens.scopes_from_claims(claims)

    # -- handler ----------------------------------------------------------------------
    def __call__(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        arn = event.get("methodArn") or event.get("routeArn")
        token = _bearer(event)
        if not arn or token is None:
            log.info(json.dumps({"decision": "unauthorized", "reason": "no-bearer-token"}))
            raise Exception(UNAUTHORIZED)
        try:
            claims, scopes = self.verify(token)
        except tokens.TokenError as exc:
            log.info(json.dumps({"decision": "unauthorized", "reason": exc.code}))
            raise Exception(UNAUTHORIZED) from None
        except Exception as exc:  # fail closed: an unforeseen error is a 401, never a 500
            log.error(json.dumps({"decision": "unauthorized", "reason": "internal-error",
                                  "error": type(exc).__name__}))
            raise Exception(UNAUTHORIZED) from None
        parsed = parse_api_gateway_arn(arn)
        sub = str(claims.get("sub", ""))
        routes = tokens.routes_for_scopes(scopes)
        ctx = {"sub": sub, "scope": " ".join(r.scope for r in routes), "jti": str(claims.get("jti", "")),
               "iss": str(claims.get("iss", ""))}
        policy = APIGatewayAuthorizerResponse(principal_id=sub or "anonymous", region=parsed.region,
                                              aws_account_id=parsed.aws_account_id, api_id=parsed.api_id,
                                              stage=parsed.stage, context=ctx, partition=parsed.partition)
        called = f"/{parsed.resource}"
        if routes:
            for r in routes:
                policy.allow_route(r.method, r.path)
            granted = any(r.method == parsed.http_method and r.path == called for r in routes)
            decision, reason = ("allow", "granted") if granted else ("deny", "route-not-granted")
        else:
            policy.deny_all_routes()
            decision, reason = "deny", "no-scope"
        log.info(json.dumps({"decision": decision, "reason": reason, "sub": sub, "jti": ctx["jti"],
                             "scope": ctx["scope"], "route": f"{parsed.http_method} {called}"}))
        return policy.asdict()


_default: Authorizer | None = None


def lambda_handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    global _default
    if _default is None:
        _default = Authorizer(Settings.from_env())
    return _default(event, context)
