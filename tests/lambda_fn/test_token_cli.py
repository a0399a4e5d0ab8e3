"""`entrec token ...` against Secrets Manager in moto's server mode (real HTTP, unpatched boto3)."""
from __future__ import annotations

import json
import time

import jwt
import pytest

from entrec import keyset as tokens
from entrec.cli.main import main


@pytest.fixture()
def cli(moto_url, capsys, request):
    sid = f"entrec/cli/{request.node.name[:30]}-{time.monotonic_ns()}".replace("[", "-").replace("]", "-")

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["token", *args, "--secret-id", sid, "--region", "us-east-1", "--endpoint-url", moto_url])
        out = capsys.readouterr()
        return code, out.out, out.err

    run.sid = sid
    return run


def test_init_issue_verify_and_show(cli, secrets_client):
    code, out, err = cli("init", "--issuer", "entrec-test", "--audience", "entrec-api-test")
    assert code == 0 and out == "" and "current kid=" in err
    code, out, err = cli("issue", "--sub", "billing-app", "--scope", "entities:invoke,inequalities:invoke",
                         "--ttl", "2h")
    assert code == 0
    token = out.strip()
    assert out.count("\n") == 1 and token.count(".") == 2  # the token, once, alone on stdout
    assert "shown once" in err and token not in err
    ks = tokens.load_keyset(secrets_client, cli.sid)
    claims = tokens.verify(ks, token)
    assert (claims["sub"], claims["iss"], claims["aud"]) == ("billing-app", "entrec-test", "entrec-api-test")
    assert tokens.scopes_from_claims(claims) == {"entities:invoke", "inequalities:invoke"}
    assert 7190 <= claims["exp"] - claims["iat"] <= 7200
    assert ks.current.not_after == claims["exp"]  # recorded so rotate knows what it would break
    code, out, _ = cli("show")
    shown = json.loads(out)
    assert shown["current"]["kid"] == ks.current.kid and shown["previous"] is None
    assert '"secret"' not in out and ks.to_json().split('"secret":"')[1].split('"')[0] not in out


def test_rotate_keeps_live_tokens_then_refuses_to_drop_them(cli, secrets_client):
    cli("init")
    _, out, _ = cli("issue", "--sub", "a", "--scope", "entities:invoke", "--ttl", "1h")
    old_token = out.strip()
    assert cli("rotate")[0] == 0  # old key -> previous: the token still verifies
    ks = tokens.load_keyset(secrets_client, cli.sid)
    assert tokens.verify(ks, old_token)["sub"] == "a"
    assert ks.previous.kid == jwt.get_unverified_header(old_token)["kid"]
    code, _, err = cli("rotate")  # would drop the key of a live token
    assert code == 1 and "rotation-would-break-tokens" in err and "--force" in err
    assert tokens.load_keyset(secrets_client, cli.sid).current.kid == ks.current.kid  # unchanged
    assert cli("rotate", "--force")[0] == 0
    with pytest.raises(tokens.TokenError) as exc:
        tokens.verify(tokens.load_keyset(secrets_client, cli.sid), old_token)
    assert exc.value.code == "token-unknown-kid"


def test_revoke_by_id_and_by_token(cli, secrets_client):
    cli("init")
    _, out1, _ = cli("issue", "--sub", "a", "--scope", "entities:invoke", "--json")
    t1 = json.loads(out1)
    _, out2, _ = cli("issue", "--sub", "b", "--scope", "entities:invoke")
    t2 = out2.strip()
    assert cli("revoke", t1["claims"]["jti"])[0] == 0
    assert cli("revoke", t2)[0] == 0
    ks = tokens.load_keyset(secrets_client, cli.sid)
    for tok in (t1["token"], t2):
        with pytest.raises(tokens.TokenError) as exc:
            tokens.verify(ks, tok)
        assert exc.value.code == "token-revoked"
    assert ks.revoked[jwt.decode(t2, options={"verify_signature": False})["jti"]] == \
        jwt.decode(t2, options={"verify_signature": False})["exp"]


@pytest.mark.parametrize("args,code", [
    (("issue", "--sub", "a", "--scope", "admin"), "unknown-scope"),
    (("issue", "--sub", "a", "--scope", "entities:invoke", "--ttl", "forever"), "bad-duration"),
    (("issue", "--sub", "a", "--scope", "entities:invoke", "--ttl", "5000d"), "bad-duration"),
    (("revoke", "not a jti!"), "bad-token-id"),
])
def test_bad_input_exits_2_with_a_code(cli, args, code):
    cli("init")
    rc, out, err = cli(*args)
    assert rc == 2 and out == "" and f"[{code}]" in err and "Traceback" not in err


def test_missing_secret_and_double_init(cli):
    rc, _, err = cli("issue", "--sub", "a", "--scope", "entities:invoke")
    assert rc == 2 and "[keyset-not-found]" in err and "entrec token init" in err
    assert cli("init")[0] == 0
    rc, _, err = cli("init")
    assert rc == 2 and "[keyset-exists]" in err


def test_corrupt_secret_is_reported(cli, secrets_client):
    secrets_client.create_secret(Name=cli.sid, SecretString='{"format": "something-else"}')
    rc, _, err = cli("rotate")
    assert rc == 2 and "[keyset-invalid]" in err


def test_parse_duration_units():
    assert [tokens.parse_duration(x) for x in ("45", "90m", "12h", "30d", "2w")] == \
        [45, 5400, 43200, 2592000, 1209600]
