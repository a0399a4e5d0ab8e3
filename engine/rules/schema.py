"""Pydantic models of a rule file: the single source of truth for validation and `entrec schema`."""
from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["RuleFileModel", "RuleModel", "PhraseEntry", "ContextModel", "ResolutionModel",
           "TestCase", "Expectation", "CoordinationModel", "rule_file_json_schema", "RULE_ID_PATTERN", "LABEL_PATTERN"]

RULE_ID_PATTERN = r"^[a-z0-9][a-z0-9_.\-]*$"
LABEL_PATTERN = r"^[A-Z][A-Z0-9_]*$"
MATCHERS = ("phrases", "phrases_file", "pattern", "regex")
#: longest text of a test embedded in a rule file
MAX_TEST_TEXT_CHARS = 10_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class PhraseEntry(_Strict):
    """One phrase with an optional canonical id and aliases that link to the same id."""

    text: str = Field(min_length=1)
    id: str | None = Field(default=None, description="canonical id this phrase links to")
    aliases: list[str] = Field(default_factory=list)


class ContextModel(_Strict):
    """Words that must / must not appear within `window` tokens of the match."""

    window: int = Field(default=3, ge=1, le=50)
    require_before: list[str] = Field(default_factory=list)
    forbid_before: list[str] = Field(default_factory=list)
    require_after: list[str] = Field(default_factory=list)
    forbid_after: list[str] = Field(default_factory=list)


class CoordinationModel(_Strict):
    """Carry the rule's label to bare items listed after its match: "subestações de Canoinhas
    e Mafra" -> `Mafra` too (engine/rules/coordination.py)."""

    item: str = Field(min_length=1, description="RE2 regex of one bare item, matched right after a separator")
    separators: list[str] = Field(default_factory=lambda: [",", ";", "e", "and", "ou", "or"],
                                  min_length=1, description="words or punctuation between items")
    max_items: int = Field(default=12, ge=1, le=100)

    @field_validator("item")
    @classmethod
    def _re2(cls, v: str) -> str:
        import re2

        opts = re2.Options()
        opts.log_errors = False
        try:
            re2.compile(v, opts)
        except re2.error as exc:
            msg = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
            raise ValueError(f"invalid RE2 regex: {msg}") from None
        return v

    @field_validator("separators")
    @classmethod
    def _seps(cls, v: list[str]) -> list[str]:
        if any(not s.strip() or s != s.strip() for s in v):
            raise ValueError("separators must be non-blank words or marks without surrounding spaces")
        return v


TokenPattern = list[dict[str, Any]]


class RuleModel(_Strict):
    id: str = Field(pattern=RULE_ID_PATTERN, description="unique rule id, e.g. pt.subestacao.nome")
    label: str = Field(pattern=LABEL_PATTERN)
    priority: int = Field(default=0, description="higher wins conflicts under priority policies")
    description: str | None = None
    phrases: list[Union[str, PhraseEntry]] | None = None
    phrases_file: str | None = Field(default=None, description="txt (one per line) or csv: phrase,id,aliases(| separated)")
    pattern: Union[str, list[str], TokenPattern, list[TokenPattern]] | None = Field(
        default=None, description="spaCy Matcher token pattern(s), or the compact string form")
    regex: str | None = Field(default=None, description="RE2 regular expression (character level)")
    case_sensitive: bool | None = Field(default=None, description="default: false for phrases, true for regex")
    accent_sensitive: bool = False
    context: ContextModel | None = None
    canonical: str | None = Field(default=None, description="fixed canonical id for every match")
    normalize: Literal["upper", "lower", "slug"] | None = Field(
        default=None, description="derive the canonical id from the matched text")
    enabled: bool = True
    coordinate: CoordinationModel | None = Field(
        default=None, description="also tag the bare items of a list after the match (plural triggers)")


class ResolutionModel(_Strict):
    policy: str = "priority-longest.v1"
    keep_nested: bool = False
    source_order: list[Literal["rule", "grammar", "model"]] = Field(
        default_factory=lambda: ["rule", "grammar", "model"])
    grammar_priority: int = 20
    model_priority: int = 0


class Expectation(_Strict):
    text: str = Field(min_length=1)
    label: str | None = None
    id: str | None = None
    value: dict[str, Any] | None = None


class TestCase(_Strict):
    __test__ = False  # not a pytest class
    # bounded: `dry-run` tokenizes every test text, and tests are sentences, not documents
    text: str = Field(min_length=1, max_length=MAX_TEST_TEXT_CHARS)
    lang: Literal["pt", "en"] | None = None
    expect: list[Expectation] = Field(default_factory=list)
    reject: list[Union[str, Expectation]] = Field(default_factory=list)


class RuleFileModel(_Strict):
    """A rule file (YAML). Labels must be declared; every rule has exactly one matcher."""

    version: Literal[1] = 1
    language: Literal["pt", "en"]
    include: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    resolution: ResolutionModel | None = None
    rules: list[RuleModel] = Field(default_factory=list)
    tests: list[TestCase] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _none_lists(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for k in ("include", "rules", "tests", "labels"):
                if k in data and data[k] is None:
                    data = {**data, k: [] if k != "labels" else {}}
        return data


def rule_file_json_schema() -> dict:
    schema = RuleFileModel.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://entrec.example/schemas/rule-file.v1.json"
    schema["title"] = "entrec rule file"
    return schema
