"""The one registry of entrec's error codes: stable kebab-case names that tests assert.

Every code entrec can emit is listed here once, with its kind and what it means; exceptions
carry them (`EntrecError.code`), located diagnostics carry them (`Diagnostic.code`), the
predictor and the REST proxy answer with them (`{"error": {"code": ...}}`), import reports
count skipped records by them. `docs/errors.md` is generated from this table
(`entrec errors --markdown`) and a test keeps both in step and checks that the code base emits
no unregistered code. A code never changes meaning; a new behaviour gets a new code.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ErrorCode", "ERROR_CODES", "KINDS", "render_markdown"]

#: kind -> heading in docs/errors.md
KINDS: dict[str, str] = {
    "diagnostic": "Rule and lexicon files (located: file:line:col, YAML path, hint)",
    "warning": "Rule-file lint warnings (`entrec validate`, `entrec dry-run`)",
    "error": "Errors raised by the library and the CLI (exit 2)",
    "wire": "HTTP error codes of the predictor and the REST proxy (`{\"error\": {\"code\": ...}}`)",
    "skip": "Import reports: why a labeled record or span was skipped",
    "fix": "Import reports: repairs applied to kept records",
    "row": "Document error rows: why a `pages` row of `entrec batch` / `entrec pages` has no text (`pages.error`)",
}


@dataclass(frozen=True)
class ErrorCode:
    code: str
    kind: str
    summary: str


_TABLE: tuple[tuple[str, str, str], ...] = (
    # ------------------------------------------------------------------ rule/lexicon files
    ("file-not-found", "diagnostic", "a named rule/lexicon/data file or folder does not exist"),
    ("file-encoding", "diagnostic", "the file is not UTF-8 text"),
    ("yaml-syntax", "diagnostic", "the YAML does not parse"),
    ("yaml-duplicate-key", "diagnostic", "a mapping repeats a key"),
    ("not-a-mapping", "diagnostic", "a rule file's top level is not a mapping"),
    ("schema-unknown-key", "diagnostic", "a key the rule-file schema does not know (did-you-mean hint)"),
    ("schema-missing-field", "diagnostic", "a required key is missing"),
    ("schema-type", "diagnostic", "a value has the wrong type"),
    ("schema-value", "diagnostic", "a value is outside the allowed ones"),
    ("rule-duplicate-id", "diagnostic", "two rules share an id"),
    ("label-unknown", "diagnostic", "a rule or test uses a label the file does not declare"),
    ("rule-matcher-missing", "diagnostic", "a rule has no matcher (phrases, pattern or regex)"),
    ("rule-matcher-multiple", "diagnostic", "a rule has more than one matcher"),
    ("regex-invalid", "diagnostic", "a regex RE2 rejects (syntax, unsupported construct, size)"),
    ("pattern-invalid", "diagnostic", "a token pattern (compact or spaCy JSON) is invalid"),
    ("phrases-file-invalid", "diagnostic", "a phrases file cannot be read or parsed"),
    ("phrases-empty", "diagnostic", "a phrase list is empty"),
    ("include-missing", "diagnostic", "an included file does not exist"),
    ("include-cycle", "diagnostic", "files include each other in a cycle"),
    ("language-mismatch", "diagnostic", "an included file declares another language"),
    ("policy-unknown", "diagnostic", "an unknown resolution policy name"),
    ("resolution-conflict", "diagnostic", "two files of one language pack set different `resolution:`"),
    ("no-rule-files", "diagnostic", "no rule files were found at the given paths"),
    ("lexicon-invalid", "diagnostic", "an inequality lexicon file is invalid"),
    ("lexicon-duplicate-key", "diagnostic", "a lexicon repeats a key"),
    ("lexicon-lang-mismatch", "diagnostic", "a lexicon declares another language than its file name"),
    ("lexicon-not-found", "diagnostic", "the lexicon for a language is missing"),
    ("grammar-not-found", "error", "the inequality grammar file is missing"),
    ("grammar-invalid", "error", "the inequality grammar does not compile"),
    # ----------------------------------------------------------------------- lint warnings
    ("rule-unused", "warning", "a rule matches nothing in any embedded test"),
    ("rule-shadowed", "warning", "a rule always loses to a higher-priority rule in the tests"),
    # -------------------------------------------------------------- exception tree roots
    ("entrec-error", "error", "root of the exception tree (never raised as such)"),
    ("rule-file-invalid", "error", "`RuleFileError`: one or more rule files are invalid (see its diagnostics)"),
    ("artifact-invalid", "error", "`ArtifactError`: a model artifact is unusable"),
    ("bad-input", "error", "`InputError`: input text or records are unusable"),
    ("import-failed", "error", "`DataImportError`: labeled data could not be imported at all"),
    # --------------------------------------------------------------------------- engine
    ("component-unknown", "error", "an unknown engine component (rules, grammar, model)"),
    ("unsupported-language", "error", "a language the engine has no pipeline for"),
    ("text-not-string", "error", "a text that is not a string"),
    ("text-too-long", "error", "a text over the per-text character limit"),
    ("model-missing", "error", "the model folder has no spaCy pipeline"),
    ("model-no-ner", "error", "the spaCy pipeline has no NER component"),
    ("model-load-failed", "error", "the spaCy pipeline could not be loaded"),
    # -------------------------------------------------------------------------- artifacts
    ("artifact-not-found", "error", "no artifact at the given path"),
    ("artifact-unreadable", "error", "the tarball or manifest cannot be read"),
    ("artifact-manifest-invalid", "error", "manifest.json is missing fields or malformed"),
    ("artifact-checksum-mismatch", "error", "a file's sha256 differs from the manifest (tampered or partial)"),
    ("artifact-missing-file", "error", "a file listed in the manifest is missing"),
    ("artifact-unlisted-file", "error", "the artifact holds a file the manifest does not list"),
    ("artifact-unsafe-member", "error", "a tar member is absolute, escapes with `..`, or is a link/device"),
    ("artifact-too-large", "error", "the artifact unpacks to more than the size limit (tar bomb)"),
    ("artifact-dest-not-empty", "error", "the extraction folder is not empty"),
    # --------------------------------------------------------------------------- CLI input
    ("bad-encoding", "error", "input is not UTF-8"),
    ("bad-jsonl", "error", "a JSON Lines input line is not a valid record"),
    ("bad-option", "error", "a command-line option has an invalid value"),
    ("bad-argument", "error", "a job argument has an invalid value"),
    ("out-exists", "error", "the output path exists (use --force)"),
    ("path-not-found", "error", "an input path does not exist"),
    ("unknown-format", "error", "the labeled-data format could not be detected"),
    ("bad-entity-list", "error", "a Comprehend entity list is malformed"),
    ("bad-metrics-file", "error", "a metrics file is not valid JSON"),
    ("no-eval-data", "error", "evaluation got no usable labeled documents"),
    ("length-mismatch", "error", "gold and predicted document lists differ in length"),
    # --------------------------------------------------------------------------- training
    ("training-failed", "error", "`TrainingError`: training could not run"),
    ("train-config-invalid", "error", "a training config value is invalid"),
    ("train-config-missing", "error", "the training config file does not exist"),
    ("train-out-exists", "error", "the training output folder exists"),
    ("no-training-data", "error", "no training documents"),
    ("no-training-spans", "error", "training documents hold no spans"),
    ("no-dev-data", "error", "no development documents"),
    ("rule-features-need-rules", "error", "rule features or presets asked for without rule files"),
    ("bad-dev-fraction", "error", "the dev fraction is not in (0, 1)"),
    ("too-few-documents", "error", "too few documents to split into train and held-out"),
    ("package-bad-input", "error", "packaging got an invalid input folder or file"),
    ("package-out-exists", "error", "the package output exists"),
    ("package-name-collision", "error", "two packaged files would have the same name"),
    # -------------------------------------------------------------------------- retraining
    ("retrain-failed", "error", "`RetrainError`: the retraining job failed"),
    ("bad-bucket", "error", "the bucket name is invalid"),
    ("bad-env", "error", "the environment is not dev, hom or prod"),
    ("env-bucket-mismatch", "error", "the bucket does not belong to the environment"),
    ("bad-threshold", "error", "a gate threshold is invalid"),
    ("deploy-args-missing", "error", "deployment requested without the endpoint arguments"),
    ("bad-s3-json", "error", "a JSON object in S3 is malformed"),
    ("bad-pointer", "error", "the PRODUCTION pointer is malformed"),
    ("no-labeled-data", "error", "no labeled data under the input prefix"),
    ("upload-verify-failed", "error", "an uploaded object does not match its checksum"),
    ("production-changed", "error", "PRODUCTION moved while the job ran (concurrent promotion)"),
    ("production-artifact-mismatch", "error", "the production artifact does not match its pointer"),
    ("version-not-found", "error", "no such model version"),
    ("deploy-failed", "error", "`DeployError`: the SageMaker deployment failed (rolled back)"),
    ("deploy-name-conflict", "error", "a SageMaker resource of that name exists with other content"),
    ("bad-resource-name", "error", "a SageMaker resource name is invalid"),
    # ----------------------------------------------------------------------- keys, tokens
    ("keyset-not-found", "error", "the key-set secret does not exist"),
    ("keyset-unreadable", "error", "the key-set secret is malformed"),
    ("keyset-exists", "error", "a key set exists already (init refuses to overwrite)"),
    ("rotation-would-break-tokens", "error", "rotation would drop a key with live tokens (use --force)"),
    ("bad-duration", "error", "a duration (`30d`, `12h`) is invalid"),
    ("bad-subject", "error", "a token subject is invalid"),
    ("unknown-scope", "error", "a token scope is unknown"),
    ("bad-token-id", "error", "a token id (jti) is invalid"),
    ("aws-error", "error", "an AWS call failed"),
    ("keyset-invalid", "error", "the key set fails validation"),
    ("keyset-unavailable", "error", "the key set could not be fetched (authorizer denies)"),
    ("jwks-unreachable", "error", "the OIDC JWKS endpoint could not be fetched (authorizer denies)"),
    ("token-invalid", "error", "a bearer token is rejected for another reason"),
    ("token-malformed", "error", "a bearer token is not a well-formed JWT"),
    ("token-unknown-kid", "error", "a token's key id is not in the key set"),
    ("token-alg-not-allowed", "error", "a token's algorithm is not allowed"),
    ("token-revoked", "error", "a token was revoked"),
    ("token-expired", "error", "a token's `exp` has passed"),
    ("token-not-yet-valid", "error", "a token's `nbf`/`iat` lies in the future"),
    ("token-bad-issuer", "error", "a token's `iss` is not the key set's issuer"),
    ("token-bad-audience", "error", "a token's `aud` is not the API's audience"),
    ("token-missing-claim", "error", "a token lacks a required claim"),
    ("token-bad-signature", "error", "a token's signature does not verify"),
    ("token-bad-iat", "error", "a token's `iat` is invalid"),
    ("token-bad-key", "error", "the verification key is unusable"),
    ("bad-setting", "error", "a predictor setting (environment variable) is invalid"),
    # ----------------------------------------------------------------------- wire (HTTP)
    ("empty-body", "wire", "400: the request body is empty"),
    ("invalid-utf8", "wire", "400: the body is not UTF-8"),
    ("invalid-json", "wire", "400: the body is not valid JSON"),
    ("bad-json", "wire", "400 (proxy): the body is not valid JSON"),
    ("bad-base64", "wire", "400 (proxy): a base64-flagged body does not decode"),
    ("bad-event", "wire", "400 (proxy): the API Gateway event is malformed"),
    ("invalid-body", "wire", "400: the body is not an object with `text` or `texts`"),
    ("unknown-field", "wire", "400: the body has a field the API does not know"),
    ("missing-text", "wire", "400: neither `text` nor `texts`"),
    ("ambiguous-text", "wire", "400: both `text` and `texts`"),
    ("invalid-text", "wire", "400: `text` is not a string"),
    ("invalid-texts", "wire", "400: `texts` is not a non-empty list of strings"),
    ("invalid-id", "wire", "400: `id` is not a string or number"),
    ("invalid-lang", "wire", "400 (proxy): `lang` is not supported"),
    ("invalid-custom-attributes", "wire", "400: X-Amzn-SageMaker-Custom-Attributes is malformed"),
    ("invalid-models", "wire", "400: `models` names an unknown model"),
    ("models-not-allowed", "wire", "400 (proxy): the route fixes the models"),
    ("payload-too-large", "wire", "413: the body is over the size limit"),
    ("too-many-texts", "wire", "413: more texts than allowed per request"),
    ("unsupported-content-type", "wire", "415: Content-Type not supported"),
    ("unsupported-media-type", "wire", "415 (proxy): Content-Type not supported"),
    ("unsupported-charset", "wire", "415: charset other than UTF-8"),
    ("not-acceptable", "wire", "406: Accept asks for a type the API cannot answer"),
    ("route-not-found", "wire", "404 (proxy): no such route"),
    ("method-not-allowed", "wire", "405: the route does not accept the method"),
    ("scope-missing", "wire", "403 (proxy): the token lacks the route's scope"),
    ("model-not-ready", "wire", "503: the models are still loading"),
    ("model-failed", "wire", "424/502: the model failed on the request"),
    ("internal-error", "wire", "500: an unexpected server error (a bug: never for client input)"),
    ("endpoint-error", "wire", "502 (proxy): the SageMaker endpoint answered an error"),
    ("endpoint-throttled", "wire", "429 (proxy): SageMaker throttled the call"),
    ("endpoint-timeout", "wire", "504 (proxy): the endpoint did not answer in time"),
    ("endpoint-unavailable", "wire", "503 (proxy): the endpoint is not in service"),
    ("proxy-misconfigured", "wire", "500 (proxy): ENDPOINT_NAME or routes are not configured"),
    # ------------------------------------------------------------- analyst playground
    ("playground-error", "error", "`PlaygroundError` (root of the playground's refusals; never raised as such)"),
    ("bind-not-loopback", "error", "the playground was asked to listen on a non-loopback address"),
    ("port-unavailable", "error", "the playground's port cannot be bound"),
    ("rules-not-a-folder", "error", "`entrec playground --rules` is not a folder of rule files"),
    ("rules-outside-pack", "error", "a rule path lies outside the playground's pack folder"),
    ("token-missing", "wire", "401 (playground): the per-start token was not sent"),
    ("host-not-allowed", "wire", "403 (playground): the Host header is not the playground's (DNS rebinding)"),
    ("origin-not-allowed", "wire", "403 (playground): a POST without the page's own Origin"),
    ("content-type-not-json", "wire", "415 (playground): a POST that is not application/json"),
    ("body-too-large", "wire", "413 (playground): the request body is over the size limit"),
    ("not-found", "wire", "404 (playground): no such page, file or endpoint"),
    ("bad-request", "wire", "400 (playground): a field of the request is missing or has the wrong type"),
    ("file-unknown", "wire", "404 (playground): not one of the pack's rule files"),
    ("path-outside-pack", "wire", "403 (playground): a file resolves outside the pack folder"),
    ("rules-invalid", "wire", "422 (playground): the edited rules have errors (tests and save refused)"),
    ("save-disabled", "wire", "403 (playground): saving needs `entrec playground --allow-save`"),
    ("file-changed-on-disk", "wire", "409 (playground): the file changed on disk since the page opened it"),
    # ------------------------------------------------------------- documents at scale
    ("bad-source", "error", "an s3:// source without a bucket"),
    ("source-empty", "error", "an s3:// prefix (or a collect folder) holds nothing to read"),
    ("spark-missing", "error", "`--spark` without pyspark installed (pip install 'entrec[spark]')"),
    ("java-missing", "error", "`--spark` without a Java runtime (no java on PATH, no JAVA_HOME)"),
    ("transform-failed", "error", "CreateTransformJob / DescribeTransformJob failed"),
    ("transform-mismatch", "error", "the predictor returned another number of lines than records sent"),
    ("record-too-large", "error", "one JSON Lines record is over the transform's MaxPayloadInMB"),
    ("source-unreadable", "row", "the document (file or S3 object) could not be read; also raised when an s3:// prefix cannot be listed"),
    ("pdf-unreadable", "row", "not a readable PDF (pdfium: data format error...)"),
    ("pdf-encrypted", "row", "the PDF needs a password"),
    ("pdf-page-unreadable", "row", "one page of an otherwise readable PDF failed"),
    ("docx-unreadable", "row", "not a readable DOCX (not a zip, missing parts)"),
    ("docx-encrypted", "row", "an OLE file: a password-protected DOCX or a legacy .doc"),
    ("unsupported-type", "row", "a file named explicitly whose extension no reader handles"),
    ("empty-document", "row", "a readable document with no pages, sections or records"),
    ("extract-failed", "row", "a reader failed unexpectedly on this document (the run goes on)"),
    ("offset-mismatch", "row", "`entrec batch collect`: an entity does not match the text at its offsets"),
    # -------------------------------------------------------------------- import reports
    ("malformed-record", "skip", "bad JSON/CSV/CoNLL line or missing/ill-typed keys"),
    ("empty-text", "skip", "the document text is empty or only whitespace"),
    ("bad-offsets", "skip", "span offsets not integers, reversed/empty or outside the text"),
    ("text-mismatch", "skip", "the span text in the record differs from the text at its offsets"),
    ("span-not-aligned", "skip", "a span boundary falls inside a token"),
    ("overlapping-spans", "skip", "two gold spans of a record overlap"),
    ("unknown-label", "skip", "the span's label is not in the declared label set"),
    ("rejected-answer", "skip", "Prodigy answer was reject/ignore"),
    ("cancelled-annotation", "skip", "Label Studio annotation was cancelled"),
    ("unannotated", "skip", "Label Studio task without any annotation"),
    ("duplicate", "skip", "same text and spans as an earlier record"),
    ("conflicting-duplicate", "skip", "same text as an earlier record, other spans (first kept)"),
    ("missing-document", "skip", "a Comprehend row refers to a missing document file"),
    ("unreadable-file", "skip", "the file could not be read or decoded as UTF-8"),
    ("trimmed-whitespace", "fix", "whitespace trimmed off a span to align it to tokens"),
    ("duplicate-span", "fix", "the same span given twice in a record, kept once"),
    ("utf16-offsets", "fix", "UTF-16 offsets (Label Studio) converted to characters"),
)

#: code -> ErrorCode; a code appears once whatever its kind.
ERROR_CODES: dict[str, ErrorCode] = {c: ErrorCode(c, k, s) for c, k, s in _TABLE}
if len(ERROR_CODES) != len(_TABLE):  # pragma: no cover - caught by the registry test at once
    raise RuntimeError("duplicate code in engine/error_codes.py")


def render_markdown() -> str:
    """docs/errors.md: the exception tree and every code, grouped by kind."""
    from . import errors

    lines = ["# Error codes", "",
             "Generated by `entrec errors --markdown > docs/errors.md` from",
             "`engine/error_codes.py`; a test fails when this file is stale. Codes are stable:",
             "tests assert them exactly, and a changed behaviour gets a new code.", "",
             "## Exception tree", "", "```", errors.TREE.strip("\n"), "```", ""]
    for kind, heading in KINDS.items():
        rows = [e for e in ERROR_CODES.values() if e.kind == kind]
        lines += [f"## {heading}", "", "| code | meaning |", "|---|---|"]
        lines += [f"| `{e.code}` | {e.summary.replace('|', '/')} |" for e in sorted(rows, key=lambda e: e.code)]
        lines.append("")
    return "\n".join(lines)
