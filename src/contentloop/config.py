"""Configuration: one `contentloop.toml`, overridden by `CONTENTLOOP_*` environment variables.

Secrets (access tokens, API keys) are never read from the TOML file: only from the environment
or from a separate secrets file, and they are held as `SecretStr` so they never print.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from .domain import (
    Account,
    ApprovalMode,
    BrandProfile,
    ConfigError,
    Format,
    Pillar,
    PostingWindow,
)

CONFIG_FILENAME = "contentloop.toml"
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class PillarConfig(BaseModel):
    name: str
    weight: float = Field(1.0, gt=0)
    keywords: list[str] = []


class WindowConfig(BaseModel):
    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not _HHMM.match(v):
            raise ValueError("a local time as HH:MM, e.g. 08:30")
        return v


class BrandConfig(BaseModel):
    voice: list[str] = ["warm", "practical", "confident"]
    audience: str = "busy people who want practical ideas"
    language: str = "en"
    do: list[str] = []
    dont: list[str] = []
    pillars: list[PillarConfig] = [PillarConfig(name="tips", weight=1.0)]
    banned_words: list[str] = []
    banned_topics: list[str] = []
    ctas: list[str] = ["Save this for later."]
    hashtags_branded: list[str] = []
    hashtags_niche: list[str] = []
    hashtags_broad: list[str] = []
    hashtag_cap: int = Field(5, ge=0, le=30)
    emoji: Literal["none", "light", "rich"] = "light"
    link_in_bio: str = ""
    affiliate_links: list[str] = []
    colors: list[str] = ["#1f2a44", "#f2c14e", "#f7f4ea"]
    font: str = ""
    music: str = ""  # optional music bed for reels/stories (any audio file), ducked under voice
    disclosure_label: str = Field("#ad", min_length=2)
    sponsored_pillars: list[str] = []

    @field_validator("colors")
    @classmethod
    def _hex(cls, v: list[str]) -> list[str]:
        for c in v:
            if not re.fullmatch(r"#[0-9a-fA-F]{6}", c):
                raise ValueError(f"colors as #RRGGBB hex strings, got {c!r}")
        return v


class CreativeConfig(BaseModel):
    """Per-account creative engine: the embedded template engine or the `[llm]` endpoint."""

    engine: Literal["template", "llm"] = "template"
    learn_from_edits: bool = True


class LLMConfig(BaseModel):
    """Any OpenAI-compatible chat endpoint; the key comes from the env var named `key_env`."""

    base_url: str = ""
    model: str = ""
    key_env: str = "CONTENTLOOP_LLM_API_KEY"
    timeout_s: float = Field(30.0, gt=0, le=600)
    concurrency: int = Field(4, ge=1, le=64)
    temperature: float = Field(0.7, ge=0, le=2)
    max_tokens: int = Field(1500, ge=100, le=32000)
    price_input_per_mtok: float = Field(0.0, ge=0)
    price_output_per_mtok: float = Field(0.0, ge=0)
    prompts_dir: str = ""


class SourceConfig(BaseModel):
    """One trend source of an account (`[[accounts.sources]]`). Kind-specific keys (geo,
    subreddits, queries, usernames, ...) are checked by `contentloop.trends.registry`;
    API keys come from the environment (e.g. CONTENTLOOP_YOUTUBE_API_KEY), never from here."""

    model_config = ConfigDict(extra="allow")
    kind: Literal[
        "rss", "google_trends", "reddit", "youtube", "instagram_hashtags",
        "instagram_competitors", "import",
    ]
    name: str = ""
    url: str = ""  # feed/import URL or path; for APIs, a base URL override
    timeout: float = Field(10.0, gt=0, le=300)
    rate_limit: float = Field(0.0, ge=0)  # requests per second; 0 = unlimited
    min_interval: float = Field(0.0, ge=0)  # seconds between fetches of this source
    max_bytes: int = Field(2_000_000, gt=0)
    allow_private: bool = False  # lift the SSRF guard for this source only


class PolicyRuleConfig(BaseModel):
    """A custom regex rule (`[[accounts.policy.rules]]`)."""

    id: str = Field(min_length=1, max_length=60)
    pattern: str = Field(min_length=1)
    severity: Literal["block", "warn"] = "warn"
    reason: str = ""


class AccountPolicyConfig(BaseModel):
    """The account's policy guard (`[accounts.policy]`): see contentloop.policy.settings."""

    trademarks: list[str] = []
    default_trademarks: bool = True
    readability_max_grade: float = Field(8.0, gt=0, le=30)
    max_sentence_words: int = Field(25, ge=5, le=200)
    duplicate_threshold: float = Field(0.6, gt=0, le=1)
    disabled: list[str] = []
    severity: dict[str, Literal["block", "warn"]] = {}
    rules: list[PolicyRuleConfig] = []

    def to_settings(self) -> Any:
        """As `contentloop.policy.PolicySettings` (imported lazily: config stays light)."""
        from .policy.settings import PolicySettings

        return PolicySettings(
            trademarks=tuple(self.trademarks), default_trademarks=self.default_trademarks,
            readability_max_grade=self.readability_max_grade,
            max_sentence_words=self.max_sentence_words,
            duplicate_threshold=self.duplicate_threshold, disabled=tuple(self.disabled),
            severity=dict(self.severity), rules=tuple(r.model_dump() for r in self.rules),
        )


class KpiRuleConfig(BaseModel):
    """A KPI-threshold rule (`[[accounts.kpi_rules]]`), e.g. pause a pillar whose median
    engagement rate stays below 1 % for two weeks. See contentloop.optimize.rules."""

    dimension: Literal["format", "pillar", "hook_style", "slot_hour"]
    metric: str = Field(min_length=1)  # "value" or a stored metric name, e.g. engagement_rate
    below: float | None = None
    above: float | None = None
    weeks: int = Field(2, ge=1, le=52)
    min_posts: int = Field(2, ge=1)
    action: str = "pause"

    @model_validator(mode="after")
    def _one_bound(self) -> KpiRuleConfig:
        if (self.below is None) == (self.above is None):
            raise ValueError("a KPI rule needs exactly one of below= or above=")
        return self

    def to_rule(self) -> Any:
        """As `contentloop.optimize.rules.ThresholdRule` (imported lazily)."""
        from .optimize.rules import ThresholdRule

        return ThresholdRule(self.dimension, self.metric, below=self.below, above=self.above,
                             weeks=self.weeks, min_posts=self.min_posts, action=self.action)


class AccountConfig(BaseModel):
    handle: str = Field(pattern=r"^[A-Za-z0-9._]{1,30}$")
    ig_user_id: str = ""
    niche: str = "general"
    timezone: str = "UTC"
    approval_mode: ApprovalMode = ApprovalMode.AUTO
    auto_approve_threshold: float = Field(0.0, ge=0, le=1)
    posts_per_day: int = Field(1, ge=1, le=25)
    variants_per_day: int = Field(3, ge=1, le=12)
    formats: list[Format] = [Format.IMAGE, Format.CAROUSEL, Format.REEL]
    posting_windows: list[WindowConfig] = [
        WindowConfig(start="08:00", end="10:00"),
        WindowConfig(start="12:00", end="14:00"),
        WindowConfig(start="18:00", end="21:00"),
    ]
    feeds: list[str] = []
    sources: list[SourceConfig] = []
    hashtags_to_watch: list[str] = []
    competitors: list[str] = []
    brand: BrandConfig = BrandConfig()
    policy: AccountPolicyConfig = AccountPolicyConfig()
    creative: CreativeConfig = CreativeConfig()
    kpi_rules: list[KpiRuleConfig] = []

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("an IANA time zone name such as Europe/Berlin") from None
        return v

    def to_domain(self) -> Account:
        b = self.brand
        brand = BrandProfile(
            voice=tuple(b.voice),
            audience=b.audience,
            language=b.language,
            do_examples=tuple(b.do),
            dont_examples=tuple(b.dont),
            pillars=tuple(Pillar(p.name, p.weight, tuple(p.keywords)) for p in b.pillars),
            banned_words=tuple(b.banned_words),
            banned_topics=tuple(b.banned_topics),
            ctas=tuple(b.ctas),
            hashtags_branded=tuple(b.hashtags_branded),
            hashtags_niche=tuple(b.hashtags_niche),
            hashtags_broad=tuple(b.hashtags_broad),
            hashtag_cap=b.hashtag_cap,
            emoji=b.emoji,
            link_in_bio=b.link_in_bio,
            affiliate_links=tuple(b.affiliate_links),
            colors=tuple(b.colors),
            font=b.font,
            disclosure_label=b.disclosure_label,
            sponsored_pillars=tuple(b.sponsored_pillars),
            music=b.music,
        )
        return Account(
            handle=self.handle,
            ig_user_id=self.ig_user_id,
            niche=self.niche,
            timezone=self.timezone,
            brand=brand,
            posting_windows=tuple(PostingWindow(w.start, w.end) for w in self.posting_windows),
            posts_per_day=self.posts_per_day,
            variants_per_day=self.variants_per_day,
            approval_mode=self.approval_mode,
            auto_approve_threshold=self.auto_approve_threshold,
            formats=tuple(self.formats),
            feeds=tuple(self.feeds),
            hashtags_to_watch=tuple(self.hashtags_to_watch),
            competitors=tuple(self.competitors),
        )


class InstagramConfig(BaseModel):
    graph_url: str = ""  # empty: the built-in simulator
    api_version: str = "v25.0"

    @field_validator("api_version")
    @classmethod
    def _version(cls, v: str) -> str:
        if not re.fullmatch(r"v\d{1,3}\.\d", v):
            raise ValueError("a Graph API version such as v25.0")
        return v
    login: Literal["instagram", "facebook"] = "instagram"
    publish_lead_minutes: int = Field(15, ge=0, le=600)
    hashtags_in_first_comment: bool = False  # post the hashtags as the first comment


class MediaConfig(BaseModel):
    """Where the Graph API fetches media: the embedded local server or an S3 bucket."""

    backend: Literal["local", "s3"] = "local"
    host: str = "127.0.0.1"  # local server bind address
    port: int = Field(0, ge=0, le=65535)  # 0: any free port
    public_base_url: str = ""  # what the API sees (tunnel/CDN; the bucket's URL for s3)
    s3_endpoint_url: str = ""  # empty: AWS; else MinIO, R2, ... (credentials: AWS_* env)
    s3_bucket: str = ""
    s3_region: str = ""
    s3_prefix: str = "media"


def sandbox_account() -> AccountConfig:
    """The built-in sandbox account used when no config file exists."""
    return AccountConfig(
        handle="sandbox_coffee",
        niche="specialty coffee at home",
        timezone="Europe/Berlin",
        brand=BrandConfig(
            voice=["warm", "nerdy", "practical"],
            audience="home baristas who want cafe-quality coffee without fuss",
            pillars=[
                PillarConfig(
                    name="brewing", weight=3, keywords=["brew", "pour over", "espresso", "grind"]
                ),
                PillarConfig(
                    name="beans", weight=2, keywords=["origin", "roast", "beans", "flavor"]
                ),
                PillarConfig(
                    name="gear", weight=1, keywords=["grinder", "kettle", "scale", "machine"]
                ),
            ],
            ctas=["Save this for your next brew.", "Follow for a better cup every day."],
            hashtags_branded=["#brewbetter"],
            hashtags_niche=["#homebarista", "#pourover", "#specialtycoffee", "#coldbrew"],
            hashtags_broad=["#coffee", "#coffeetime"],
            banned_words=["cheap"],
            colors=["#2b1d16", "#d9a441", "#f6efe6"],
        ),
        hashtags_to_watch=["coldbrew", "pourover", "espresso"],
    )


class Settings(BaseSettings):
    """Everything contentloop reads at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="CONTENTLOOP_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    data_dir: Path = Path(".contentloop")
    database_url: str = ""
    queue_url: str = ""
    secrets_file: Path | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    instagram: InstagramConfig = InstagramConfig()
    media: MediaConfig = MediaConfig()
    llm: LLMConfig = LLMConfig()
    accounts: list[AccountConfig] = Field(default_factory=lambda: [sandbox_account()])

    # Secrets: environment or secrets file only (see `load_secrets`).
    ig_access_token: SecretStr | None = None
    secret_key: SecretStr | None = None

    _toml_path: Path | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # init (the parsed TOML, passed by `load_settings`) < environment
        return (env_settings, init_settings)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'contentloop.db').as_posix()}"

    def domain_accounts(self) -> list[Account]:
        return [a.to_domain() for a in self.accounts]

    def access_token_for(self, handle: str) -> SecretStr | None:
        """Per-account token `CONTENTLOOP_IG_ACCESS_TOKEN_<HANDLE>`, else the global one."""
        per = os.environ.get(f"CONTENTLOOP_IG_ACCESS_TOKEN_{handle.upper().replace('.', '_')}")
        if per:
            return SecretStr(per)
        secrets = load_secrets(self.secrets_file)
        if handle in secrets.get("tokens", {}):
            return SecretStr(str(secrets["tokens"][handle]))
        return self.ig_access_token


_SECRET_KEYS = ("access_token", "ig_access_token", "secret_key", "api_key", "password", "token")


def load_secrets(path: Path | None) -> dict[str, Any]:
    """Read the secrets file (TOML, e.g. `[tokens] handle = "..."`), or nothing."""
    if path is None or not Path(path).exists():
        return {}
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def _find_secret_in_toml(data: Any, prefix: str = "") -> str | None:
    if isinstance(data, dict):
        for k, v in data.items():
            key = f"{prefix}{k}"
            if any(s in k.lower() for s in _SECRET_KEYS) and isinstance(v, str) and v:
                return key
            found = _find_secret_in_toml(v, key + ".")
            if found:
                return found
    if isinstance(data, list):
        for i, item in enumerate(data):
            found = _find_secret_in_toml(item, f"{prefix[:-1]}[{i}].")
            if found:
                return found
    return None


def config_path(explicit: str | Path | None = None) -> Path | None:
    """`--config PATH`, else `$CONTENTLOOP_CONFIG`, else `./contentloop.toml` if it exists."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("CONTENTLOOP_CONFIG")
    if env:
        return Path(env)
    here = Path.cwd() / CONFIG_FILENAME
    return here if here.exists() else None


def load_settings(explicit: str | Path | None = None) -> Settings:
    """Load and validate; raise ConfigError naming the key, the bad value and the expected form."""
    path = config_path(explicit)
    data: dict[str, Any] = {}
    if path is not None:
        if not path.exists():
            raise ConfigError("--config", str(path), "an existing contentloop.toml file")
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(path), "<file>", f"valid TOML ({exc})") from None
        secret_key = _find_secret_in_toml(data)
        if secret_key:
            raise ConfigError(
                secret_key,
                "<redacted>",
                "no secrets in contentloop.toml: set CONTENTLOOP_IG_ACCESS_TOKEN or use "
                "secrets_file",
            )
        base = path.parent
        if "data_dir" in data and not Path(data["data_dir"]).is_absolute():
            data["data_dir"] = str(base / data["data_dir"])
        elif "data_dir" not in data:
            data["data_dir"] = str(base / ".contentloop")
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = _key(err["loc"])
        value = err.get("input")
        if isinstance(value, dict | list):
            value = "<table>"
        raise ConfigError(key, value, _expected(err)) from None
    settings._toml_path = path
    handles = [a.handle for a in settings.accounts]
    if len(set(handles)) != len(handles):
        raise ConfigError("accounts.handle", handles, "unique account handles")
    return settings


def _key(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"


def _expected(err: Any) -> str:
    msg = str(err.get("msg", "a valid value"))
    msg = msg.removeprefix("Value error, ")
    if err.get("type") == "extra_forbidden":
        return "no such key (check the spelling against `contentloop init`'s template)"
    return msg
