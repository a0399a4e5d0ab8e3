"""`entrec token`: administer REST API bearer tokens in the Secrets Manager key set.

    entrec token init   [--issuer entrec] [--audience entrec-api]     create the secret
    entrec token issue  --sub NAME --scope entities:invoke --ttl 30d  print a token once
    entrec token rotate [--force]                                     new current key
    entrec token revoke JTI|TOKEN                                     deny one token
    entrec token show                                                 kids, dates (no secrets)

The key-set format and signing live in `entrec.keyset`, the very file the authorizer zip
vendors; every write is a new secret version, picked up by the authorizer within its cache
time (KEYSET_CACHE_SECONDS, 5 min), at once for a new kid.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

NAME = "token"
HELP = "issue, rotate and revoke REST API bearer tokens (key set in AWS Secrets Manager)"
DESCRIPTION = __doc__

DEFAULT_SECRET_ID = "entrec/api-token-keys"


def add_arguments(p: argparse.ArgumentParser) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--secret-id", default=os.environ.get("ENTREC_TOKEN_SECRET_ID", DEFAULT_SECRET_ID),
                        help=f"secret name or ARN (env ENTREC_TOKEN_SECRET_ID; default {DEFAULT_SECRET_ID})")
    common.add_argument("--region", default=None, help="AWS region (default: the AWS config/env)")
    common.add_argument("--endpoint-url", default=None, help="Secrets Manager endpoint (local tests, moto)")
    common.add_argument("--profile", default=None, help="AWS profile")
    sub = p.add_subparsers(dest="token_command", metavar="ACTION")
    sub.required = True

    s = sub.add_parser("init", parents=[common], help="create the key-set secret with a first key")
    s.add_argument("--issuer", default="entrec", help="`iss` of every token (default entrec)")
    s.add_argument("--audience", default="entrec-api", help="`aud` of every token (default entrec-api)")
    s.add_argument("--kms-key-id", default=None, help="KMS key for the secret (default: aws/secretsmanager)")

    s = sub.add_parser("issue", parents=[common], help="issue a token (printed once, never stored)")
    s.add_argument("--sub", required=True, help="who the token is for (application name)")
    s.add_argument("--scope", required=True, nargs="+", action="extend",
                   help="entities:invoke and/or inequalities:invoke (space or comma separated)")
    s.add_argument("--ttl", default="30d", help="lifetime: 90m, 12h, 30d, 2w (default 30d)")
    s.add_argument("--json", action="store_true", help="print {token, claims} as JSON")

    s = sub.add_parser("rotate", parents=[common], help="make a new current key; current becomes previous")
    s.add_argument("--force", action="store_true", help="drop the previous key even if its tokens are live")

    s = sub.add_parser("revoke", parents=[common], help="revoke one token by its id (jti) or the token itself")
    s.add_argument("jti", metavar="JTI|TOKEN")

    sub.add_parser("show", parents=[common], help="list keys (kid, dates) and revocations; never secrets")


def _client(args):
    import boto3

    session = boto3.session.Session(profile_name=args.profile, region_name=args.region)
    return session.client("secretsmanager", endpoint_url=args.endpoint_url)


def _fmt(epoch: int | None) -> str:
    return "-" if not epoch else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _run(args) -> int:
    from entrec import keyset as tokens

    client = _client(args)
    sid = args.secret_id
    cmd = args.token_command
    if cmd == "init":
        ks = tokens.new_keyset(issuer=args.issuer, audience=args.audience)
        arn = tokens.create_keyset_secret(client, sid, ks, kms_key_id=args.kms_key_id)
        print(f"created {arn}: issuer={ks.issuer} audience={ks.audience} current kid={ks.current.kid}",
              file=sys.stderr)
        return 0
    ks = tokens.load_keyset(client, sid)
    if cmd == "issue":
        scopes = [s for item in args.scope for s in item.replace(",", " ").split()]
        issued = tokens.issue(ks, sub=args.sub, scopes=scopes, ttl=tokens.parse_duration(args.ttl))
        tokens.store_keyset(client, sid, issued.keyset)
        c = issued.claims
        if args.json:
            print(json.dumps({"token": issued.token, "claims": c}))
        else:
            print(issued.token)
        print(f"issued jti={c['jti']} sub={c['sub']} scope=\"{c['scope']}\" expires {_fmt(c['exp'])} "
              f"(kid {ks.current.kid}); this token is shown once: store it in the caller's secret store",
              file=sys.stderr)
        return 0
    if cmd == "rotate":
        new = tokens.rotate(ks, force=args.force)
        tokens.store_keyset(client, sid, new)
        dropped = ks.previous.kid if ks.previous else None
        print(f"rotated: current={new.current.kid} previous={new.previous.kid if new.previous else '-'}"
              + (f"; dropped {dropped} (its tokens no longer verify)" if dropped else ""), file=sys.stderr)
        return 0
    if cmd == "revoke":
        jti, exp = args.jti, None
        if args.jti.count(".") == 2:  # a whole token: take its id and expiry (no need to trust it)
            import jwt

            try:
                claims = jwt.decode(args.jti, options={"verify_signature": False})
            except jwt.PyJWTError:
                raise tokens.KeySetError("argument looks like a token but does not decode",
                                         code="bad-token-id") from None
            jti, exp = claims.get("jti"), claims.get("exp")
            if not isinstance(jti, str):
                raise tokens.KeySetError("token has no 'jti' claim", code="bad-token-id")
            exp = exp if isinstance(exp, int) else None
        new = tokens.revoke(ks, jti, exp=exp)
        tokens.store_keyset(client, sid, new)
        print(f"revoked {jti} until {_fmt(new.revoked[jti])} ({len(new.revoked)} on the list); "
              "authorizers pick it up within KEYSET_CACHE_SECONDS", file=sys.stderr)
        if len(new.to_json()) > 60_000:
            print("warning: the key set nears Secrets Manager's 64 KiB limit; rotate keys to retire old "
                  "tokens instead of revoking them one by one", file=sys.stderr)
        return 0
    if cmd == "show":
        info: dict[str, Any] = {"secret_id": sid, "issuer": ks.issuer, "audience": ks.audience}
        for name in ("current", "previous"):
            k = getattr(ks, name)
            info[name] = None if k is None else {"kid": k.kid, "alg": k.alg, "created_at": _fmt(k.created_at),
                                                 "tokens_valid_until": _fmt(k.not_after)}
        info["revoked"] = {j: _fmt(e) for j, e in sorted(ks.revoked.items())}
        print(json.dumps(info, indent=2))
        return 0
    raise AssertionError(cmd)  # pragma: no cover - argparse restricts the choices


def run(args) -> int:
    from entrec.engine.errors import EntrecError
    from entrec import keyset as tokens

    try:
        return _run(args)
    except tokens.KeySetError as exc:
        err = EntrecError(exc.message, code=exc.code, hint=exc.hint)
        if exc.code == "rotation-would-break-tokens":
            print(f"entrec token: {err}", file=sys.stderr)
            return 1
        raise err from None
    except Exception as exc:
        import botocore.exceptions

        if isinstance(exc, (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)):
            raise EntrecError(f"AWS call failed: {exc}", code="aws-error",
                              hint="check credentials, --region and --secret-id") from None
        raise
