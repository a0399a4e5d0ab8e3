"""Authorizer: the attack matrix (each denied), the accepted cases, policy shape, both key modes.

Keys live in Secrets Manager served by moto's server mode on loopback; the OIDC JWKS comes
from a loopback HTTP server. "Denied" means what API Gateway would do: the authorizer raises
`Unauthorized` (401), or its policy does not allow the called route's ARN (403).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

import authorizer as au
from entrec import keyset as tokens
from lambda_fn_support import authorizer_event, method_arn, policy_allows

ENT, INEQ = "/v1/entities", "/v1/inequalities"
KINDS = ["request", "token", "v2"]


def _b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def hand_signed(header: dict, claims: dict, key: bytes | None) -> str:
    """A JWT built by hand (PyJWT refuses to make these: alg none, HMAC with a PEM key)."""
    signing_input = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
    sig = b"" if key is None else hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(sig)


def claims_for(ks: tokens.KeySet, **over) -> dict:
    now = int(time.time())
    c = {"iss": ks.issuer, "aud": ks.audience, "sub": "app-a", "scope": "entities:invoke",
         "iat": now, "nbf": now, "exp": now + 600, "jti": f"j{time.monotonic_ns()}"}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def sign(key: tokens.SigningKey, claims: dict) -> str:
    return jwt.encode(claims, key.secret, algorithm=key.alg, headers={"kid": key.kid})


class Env:
    def __init__(self, client, secret_id, moto_url, oidc=None):
        self.client, self.secret_id, self.moto_url, self.oidc = client, secret_id, moto_url, oidc

    @property
    def ks(self) -> tokens.KeySet:
        return tokens.load_keyset(self.client, self.secret_id)

    def save(self, ks: tokens.KeySet) -> None:
        tokens.store_keyset(self.client, self.secret_id, ks)

    def authorizer(self, **over) -> au.Authorizer:
        kw = dict(keyset_secret_id=self.secret_id, secrets_endpoint_url=self.moto_url, region="us-east-1",
                  keyset_cache_seconds=300, keyset_min_refresh_seconds=0)
        if self.oidc:
            kw.update(oidc_issuer=self.oidc.issuer, oidc_audience="entrec-api", oidc_jwks_url=self.oidc.jwks_url)
        kw.update(over)
        return au.Authorizer(au.Settings(**kw))


@pytest.fixture()
def env(secrets_client, secret_id, moto_url, jwks_server):
    return Env(secrets_client, secret_id, moto_url, jwks_server)


def decide(authz: au.Authorizer, kind: str, path: str, authorization: str | None) -> tuple[str, dict | None]:
    """'allow' / 'deny' (policy does not allow the called route) / 'unauthorized' (401)."""
    ev = authorizer_event(kind, path, authorization)
    try:
        policy = authz(ev, None)
    except Exception as exc:
        assert str(exc) == "Unauthorized", f"authorizer must fail with exactly 'Unauthorized', got {exc!r}"
        return "unauthorized", None
    arn = ev.get("methodArn") or ev["routeArn"]
    return ("allow" if policy_allows(policy, arn) else "deny"), policy


# --- the attack matrix -------------------------------------------------------------------------

def _rsa_public_pem(oidc) -> bytes:
    return oidc.rsa_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)


def _attack(name: str, e: Env) -> tuple[str, str | None]:
    """(route called, Authorization header) for each attack."""
    ks = e.ks
    cur = ks.current
    if name == "no-header":
        return ENT, None
    if name == "malformed-header-basic":
        return ENT, "Basic dXNlcjpwYXNz"
    if name == "malformed-header-not-jwt":
        return ENT, "Bearer not-a-jwt"
    if name == "malformed-header-garbage-jwt":
        return ENT, "Bearer aaaa.bbbb.cccc"
    if name == "alg-none":
        return ENT, "Bearer " + hand_signed({"alg": "none", "typ": "JWT", "kid": cur.kid}, claims_for(ks), None)
    if name == "alg-none-uppercase":
        return ENT, "Bearer " + hand_signed({"alg": "None", "kid": cur.kid}, claims_for(ks), None)
    if name == "hs256-signed-with-rs-public-key-keyset-iss":
        return ENT, "Bearer " + hand_signed({"alg": "HS256", "kid": "rsa-1"}, claims_for(ks), _rsa_public_pem(e.oidc))
    if name == "hs256-signed-with-rs-public-key-current-kid":
        return ENT, "Bearer " + hand_signed({"alg": "HS256", "kid": cur.kid}, claims_for(ks), _rsa_public_pem(e.oidc))
    if name == "hs256-signed-with-rs-public-key-oidc-iss":
        c = claims_for(ks, iss=e.oidc.issuer, aud="entrec-api")
        return ENT, "Bearer " + hand_signed({"alg": "HS256", "kid": "rsa-1"}, c, _rsa_public_pem(e.oidc))
    if name == "hs384-header-on-hs256-key":
        return ENT, "Bearer " + jwt.encode(claims_for(ks), cur.secret, algorithm="HS384", headers={"kid": cur.kid})
    if name == "wrong-signature":
        return ENT, "Bearer " + jwt.encode(claims_for(ks), b"x" * 32, algorithm="HS256", headers={"kid": cur.kid})
    if name == "unknown-kid":
        return ENT, "Bearer " + jwt.encode(claims_for(ks), cur.secret, algorithm="HS256", headers={"kid": "k-nope"})
    if name == "expired":
        now = int(time.time())
        return ENT, "Bearer " + sign(cur, claims_for(ks, iat=now - 7200, nbf=now - 7200, exp=now - 3600))
    if name == "not-yet-valid":
        now = int(time.time())
        return ENT, "Bearer " + sign(cur, claims_for(ks, nbf=now + 3600, exp=now + 7200))
    if name == "issued-in-the-future":
        now = int(time.time())
        return ENT, "Bearer " + sign(cur, claims_for(ks, iat=now + 3600, exp=now + 7200))
    if name == "missing-exp":
        return ENT, "Bearer " + sign(cur, claims_for(ks, exp=None))
    if name == "wrong-iss":
        return ENT, "Bearer " + sign(cur, claims_for(ks, iss="someone-else"))
    if name == "wrong-aud":
        return ENT, "Bearer " + sign(cur, claims_for(ks, aud="other-api"))
    if name == "missing-scope":
        return ENT, "Bearer " + sign(cur, claims_for(ks, scope=None))
    if name == "unknown-scope-only":
        return ENT, "Bearer " + sign(cur, claims_for(ks, scope="admin entities:read"))
    if name == "scope-for-other-route":
        return INEQ, "Bearer " + sign(cur, claims_for(ks, scope="entities:invoke"))
    if name == "scope-for-other-route-reverse":
        return ENT, "Bearer " + sign(cur, claims_for(ks, scope="inequalities:invoke"))
    if name == "revoked-id":
        issued = tokens.issue(ks, sub="app-r", scopes=["entities:invoke"], ttl=600)
        e.save(tokens.revoke(issued.keyset, issued.claims["jti"], exp=issued.claims["exp"]))
        return ENT, "Bearer " + issued.token
    if name == "key-removed-after-rotation":
        issued = tokens.issue(ks, sub="app-old", scopes=["entities:invoke"], ttl=600)
        once = tokens.rotate(issued.keyset)  # its key is now `previous`: still valid
        e.save(tokens.rotate(once, force=True))  # and now dropped
        return ENT, "Bearer " + issued.token
    if name == "oidc-token-signed-by-unknown-rsa-key":
        from cryptography.hazmat.primitives.asymmetric import rsa

        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        c = claims_for(ks, iss=e.oidc.issuer, aud="entrec-api")
        return ENT, "Bearer " + jwt.encode(c, other, algorithm="RS256", headers={"kid": "rsa-1"})
    if name == "oidc-rs-key-used-as-es256":
        c = claims_for(ks, iss=e.oidc.issuer, aud="entrec-api")
        return ENT, "Bearer " + jwt.encode(c, e.oidc.ec_key, algorithm="ES256", headers={"kid": "rsa-1"})
    if name == "oidc-wrong-aud":
        c = claims_for(ks, iss=e.oidc.issuer, aud="other")
        return ENT, "Bearer " + jwt.encode(c, e.oidc.rsa_key, algorithm="RS256", headers={"kid": "rsa-1"})
    if name == "oidc-issuer-signed-with-keyset-hmac":
        c = claims_for(ks, iss=e.oidc.issuer, aud="entrec-api")
        return ENT, "Bearer " + sign(cur, c)
    raise AssertionError(name)


ATTACKS = {  # name -> (outcome, reason logged): "unauthorized" = 401, "deny" = policy excludes the route
    "no-header": ("unauthorized", "no-bearer-token"),
    "malformed-header-basic": ("unauthorized", "no-bearer-token"),
    "malformed-header-not-jwt": ("unauthorized", "no-bearer-token"),
    "malformed-header-garbage-jwt": ("unauthorized", "token-malformed"),
    "alg-none": ("unauthorized", "token-alg-not-allowed"),
    "alg-none-uppercase": ("unauthorized", "token-alg-not-allowed"),
    "hs256-signed-with-rs-public-key-keyset-iss": ("unauthorized", "token-unknown-kid"),
    "hs256-signed-with-rs-public-key-current-kid": ("unauthorized", "token-bad-signature"),
    "hs256-signed-with-rs-public-key-oidc-iss": ("unauthorized", "token-alg-not-allowed"),
    "hs384-header-on-hs256-key": ("unauthorized", "token-alg-not-allowed"),
    "wrong-signature": ("unauthorized", "token-bad-signature"),
    "unknown-kid": ("unauthorized", "token-unknown-kid"),
    "expired": ("unauthorized", "token-expired"),
    "not-yet-valid": ("unauthorized", "token-not-yet-valid"),
    "issued-in-the-future": ("unauthorized", "token-not-yet-valid"),
    "missing-exp": ("unauthorized", "token-missing-claim"),
    "wrong-iss": ("unauthorized", "token-bad-issuer"),
    "wrong-aud": ("unauthorized", "token-bad-audience"),
    "missing-scope": ("deny", "no-scope"),
    "unknown-scope-only": ("deny", "no-scope"),
    "scope-for-other-route": ("deny", "route-not-granted"),
    "scope-for-other-route-reverse": ("deny", "route-not-granted"),
    "revoked-id": ("unauthorized", "token-revoked"),
    "key-removed-after-rotation": ("unauthorized", "token-unknown-kid"),
    "oidc-token-signed-by-unknown-rsa-key": ("unauthorized", "token-bad-signature"),
    "oidc-rs-key-used-as-es256": ("unauthorized", "token-alg-not-allowed"),
    "oidc-wrong-aud": ("unauthorized", "token-bad-audience"),
    "oidc-issuer-signed-with-keyset-hmac": ("unauthorized", "token-alg-not-allowed"),
}


@pytest.mark.filterwarnings("ignore:The HMAC key is")  # the hs384 attack signs with a 32-byte key
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_is_denied(env, attack, kind, caplog):
    path, header = _attack(attack, env)
    caplog.set_level("INFO", logger="entrec.authorizer")
    outcome, policy = decide(env.authorizer(), kind, path, header)
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.name == "entrec.authorizer"]
    assert (outcome, logged[-1]["reason"]) == ATTACKS[attack]
    if header and " " in header:  # the token never reaches the logs
        assert header.split(" ", 1)[1] not in caplog.text
    if outcome == "deny":  # an explicit policy still names the subject, with no route granted for the call
        assert policy["principalId"] == "app-a"


# --- accepted ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_current_and_previous_keys_are_accepted(env, kind):
    issued_old = tokens.issue(env.ks, sub="app-old", scopes=["entities:invoke"], ttl=600)
    rotated = tokens.rotate(issued_old.keyset)
    env.save(rotated)
    issued_new = tokens.issue(rotated, sub="app-new", scopes=["entities:invoke"], ttl=600)
    env.save(issued_new.keyset)
    authz = env.authorizer()
    for tok, who, kid in ((issued_old.token, "app-old", rotated.previous.kid),
                          (issued_new.token, "app-new", rotated.current.kid)):
        assert jwt.get_unverified_header(tok)["kid"] == kid
        outcome, policy = decide(authz, kind, ENT, f"Bearer {tok}")
        assert outcome == "allow"
        assert policy["principalId"] == who
        assert policy["context"]["sub"] == who
        assert policy["context"]["scope"] == "entities:invoke"


@pytest.mark.parametrize("kind", KINDS)
def test_policy_covers_every_granted_route_and_nothing_else(env, kind):
    issued = tokens.issue(env.ks, sub="both", scopes=["entities:invoke", "inequalities:invoke"], ttl=600)
    env.save(issued.keyset)
    authz = env.authorizer()
    outcome, policy = decide(authz, kind, INEQ, f"Bearer {issued.token}")
    assert outcome == "allow"
    stage = "$default" if kind == "v2" else "prod"
    # API Gateway caches this policy for the token: it must also allow the route not called now...
    assert policy_allows(policy, method_arn("POST", ENT, stage))
    assert policy_allows(policy, method_arn("POST", INEQ, stage))
    # ...and nothing else: other methods, other paths, other stages.
    assert not policy_allows(policy, method_arn("GET", ENT, stage))
    assert not policy_allows(policy, method_arn("POST", "/v1/admin", stage))
    assert not policy_allows(policy, method_arn("POST", ENT, "other-stage"))
    assert set(policy["context"]["scope"].split()) == {"entities:invoke", "inequalities:invoke"}
    assert policy["context"]["jti"] == issued.claims["jti"]


def test_bearer_scheme_is_case_insensitive_and_whitespace_tolerant(env):
    issued = tokens.issue(env.ks, sub="app", scopes=["entities:invoke"], ttl=600)
    env.save(issued.keyset)
    assert decide(env.authorizer(), "request", ENT, f"bearer   {issued.token}  ")[0] == "allow"
    assert decide(env.authorizer(), "request", ENT, f"Bearer {issued.token} extra")[0] == "unauthorized"


def test_small_leeway_tolerates_clock_skew(env):
    now = int(time.time())
    ks = env.ks
    tok = sign(ks.current, claims_for(ks, exp=now - 5, iat=now - 100, nbf=now - 100))
    assert decide(env.authorizer(leeway=30), "request", ENT, f"Bearer {tok}")[0] == "allow"
    assert decide(env.authorizer(leeway=0), "request", ENT, f"Bearer {tok}")[0] == "unauthorized"


# --- key set cache and rotation -------------------------------------------------------------------

def test_key_set_is_cached_and_new_kid_triggers_a_refresh(env):
    authz = env.authorizer(keyset_min_refresh_seconds=0)
    first = tokens.issue(env.ks, sub="a", scopes=["entities:invoke"], ttl=600)
    env.save(first.keyset)
    for _ in range(3):
        assert decide(authz, "request", ENT, f"Bearer {first.token}")[0] == "allow"
    assert authz.keys.fetches == 1  # one Secrets Manager read for many calls
    rotated = tokens.rotate(env.ks)
    fresh = tokens.issue(rotated, sub="b", scopes=["entities:invoke"], ttl=600)
    env.save(fresh.keyset)
    assert decide(authz, "request", ENT, f"Bearer {fresh.token}")[0] == "allow"  # unknown kid -> refetch
    assert authz.keys.fetches == 2


def test_refresh_on_unknown_kid_is_rate_limited(env):
    authz = env.authorizer(keyset_min_refresh_seconds=3600)
    bogus = jwt.encode(claims_for(env.ks), b"y" * 32, algorithm="HS256", headers={"kid": "k-flood"})
    for _ in range(5):
        assert decide(authz, "request", ENT, f"Bearer {bogus}")[0] == "unauthorized"
    assert authz.keys.fetches == 1  # a flood of random kids cannot hammer Secrets Manager


def test_missing_secret_denies_without_crashing(secrets_client, moto_url):
    authz = au.Authorizer(au.Settings(keyset_secret_id="entrec/does-not-exist", secrets_endpoint_url=moto_url,
                                      region="us-east-1"))
    tok = jwt.encode({"sub": "x", "iss": "entrec"}, b"z" * 32, algorithm="HS256", headers={"kid": "k"})
    assert decide(authz, "request", ENT, f"Bearer {tok}")[0] == "unauthorized"


# --- OIDC JWKS mode ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("alg,kid", [("RS256", "rsa-1"), ("ES256", "ec-1")])
def test_oidc_tokens_are_accepted(env, jwks_server, kind, alg, kid):
    key = jwks_server.rsa_key if alg == "RS256" else jwks_server.ec_key
    now = int(time.time())
    claims = {"iss": jwks_server.issuer, "aud": "entrec-api", "sub": "corp-user", "iat": now, "exp": now + 300,
              "scp": ["api://entrec/inequalities:invoke"]}
    tok = jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})
    authz = env.authorizer(oidc_scope_prefix="api://entrec/")
    outcome, policy = decide(authz, kind, INEQ, f"Bearer {tok}")
    assert outcome == "allow"
    assert policy["context"] == {"sub": "corp-user", "scope": "inequalities:invoke", "jti": "",
                                 "iss": jwks_server.issuer}
    assert decide(authz, kind, ENT, f"Bearer {tok}")[0] == "deny"


def test_oidc_only_mode_rejects_keyset_tokens(jwks_server, secrets_client, secret_id):
    authz = au.Authorizer(au.Settings(oidc_issuer=jwks_server.issuer, oidc_audience="entrec-api",
                                      oidc_jwks_url=jwks_server.jwks_url))
    issued = tokens.issue(tokens.load_keyset(secrets_client, secret_id), sub="a", scopes=["entities:invoke"], ttl=60)
    assert decide(authz, "request", ENT, f"Bearer {issued.token}")[0] == "unauthorized"


def test_oidc_algorithms_must_be_asymmetric(jwks_server):
    with pytest.raises(ValueError, match="asymmetric"):
        au.Authorizer(au.Settings(oidc_issuer="i", oidc_audience="a", oidc_jwks_url=jwks_server.jwks_url,
                                  oidc_algorithms=("RS256", "HS256")))


def test_no_key_source_configured_is_refused():
    with pytest.raises(ValueError, match="KEYSET_SECRET_ID"):
        au.Authorizer(au.Settings())


def test_lambda_handler_reads_its_settings_from_env(env, monkeypatch):
    issued = tokens.issue(env.ks, sub="envapp", scopes=["inequalities:invoke"], ttl=600)
    env.save(issued.keyset)
    monkeypatch.setenv("KEYSET_SECRET_ID", env.secret_id)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", env.moto_url)
    monkeypatch.setattr(au, "_default", None)
    policy = au.lambda_handler(authorizer_event("token", INEQ, f"Bearer {issued.token}"), None)
    assert policy_allows(policy, method_arn("POST", INEQ))
    assert policy["principalId"] == "envapp"
