"""Read a corpus from disk: directories of .txt / .md / .html files and .jsonl(.gz) record files.

Every file that cannot become an article is reported with a reason and skipped; the rest is read.
Ids are stable: a file's path relative to the corpus root without its extension, or a JSONL
record's ``id`` / ``doc_id``.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

from index.articles import Article, LoadProblem
from index.cleaning import clean_article
from index.dates import parse_date

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl", ".jsonl.gz", ".ndjson"}
_MAGIC = {
    b"\x89PNG": "a PNG image", b"%PDF": "a PDF document", b"PK\x03\x04": "a ZIP archive (docx/odt/xlsx?)",
    b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image", b"\x1f\x8b": "gzip-compressed data",
    b"\x7fELF": "a program (ELF binary)",
}
#: ids are shown to people and used as keys; anything else is refused
_SAFE_ID = re.compile(r"^[\w][\w.\-/:#@+]{0,199}$", re.UNICODE)


def suffix_of(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".jsonl.gz"):
        return ".jsonl.gz"
    return path.suffix.lower()


def is_supported(path: Path) -> bool:
    return suffix_of(path) in TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES


def check_id(article_id: str) -> str | None:
    """Why an id is unsafe, or None. Ids never become paths, but a `..` or absolute id is a sign of
    a hostile or broken file, and would make confusing citations."""
    if not article_id or not article_id.strip():
        return "empty id"
    if article_id.startswith("/") or "\\" in article_id or ".." in article_id.split("/"):
        return f"unsafe id {article_id!r} (path traversal)"
    if not _SAFE_ID.match(article_id):
        return f"unsafe id {article_id!r} (use letters, digits and . _ - / : # @ +)"
    return None


def decode_bytes(data: bytes) -> tuple[str | None, str | None]:
    """(text, note) or (None, reason). UTF-8 (with or without BOM) first; otherwise the most likely
    legacy encoding (Latin-1 / Windows-1252 are common in old French sites)."""
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            return None, f"binary file ({what}), not text"
    if b"\x00" in data[:8192]:
        return None, "binary file (contains NUL bytes), not text"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    # Windows-1252 (a superset of printable Latin-1) is by far the most common legacy encoding of
    # Western European news; accept it unless the letters look like another script's mojibake.
    try:
        text = data.decode("cp1252")
        letters = [ch for ch in text[:20000] if ch.isalpha()]
        accented = sum(1 for ch in letters if ord(ch) > 127)
        if letters and accented / len(letters) < 0.3:
            return text, "decoded as Windows-1252 / Latin-1 (not UTF-8)"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None, "undecodable bytes: not UTF-8 and no other encoding fits"
    text = str(best)
    controls = sum(1 for ch in text[:10000] if ord(ch) < 32 and ch not in "\n\r\t")
    if controls > 0.01 * min(len(text), 10000):
        return None, "binary file (mostly control characters), not text"
    return text, f"decoded as {best.encoding} (not UTF-8)"


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """`---`-delimited `key: value` lines at the top of a Markdown file."""
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 4)
    if end < 0:
        return {}, text
    meta = {}
    for line in text[4:end].splitlines():
        key, sep, value = line.partition(":")
        if sep:
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return meta, text[end + 4 :].lstrip("\n")


def _article(article_id: str, source: str, cleaned, meta: dict) -> Article | LoadProblem:
    if not cleaned.text.strip():
        return LoadProblem(source, "no article text (empty after cleaning)")
    date = parse_date(meta.get("date"))
    return Article(
        id=article_id, title=cleaned.title, text=cleaned.text,
        date=date or cleaned.date, date_source="metadata" if date else cleaned.date_source,
        outlet=meta.get("source") or meta.get("outlet") or cleaned.outlet,
        url=meta.get("url") or None, source=source, title_source=cleaned.title_source,
        language=meta.get("lang") or meta.get("language") or None,
    )


def _from_text_file(article_id: str, source: str, text: str, suffix: str) -> Article | LoadProblem:
    meta: dict[str, str] = {}
    if suffix in {".md", ".markdown"}:
        meta, text = _front_matter(text)
        text = re.sub(r"^#{1,6}\s+", "", text.lstrip(), count=1)
    if not text.strip():
        return LoadProblem(source, "empty file" if not text else "only whitespace")
    cleaned = clean_article(text, title=meta.get("title"))
    return _article(article_id, source, cleaned, meta)


def article_from_html(article_id: str, source: str, html: str, *, known: dict[str, str | None] | None = None,
                      url: str | None = None, guess_dates: bool = True) -> Article | LoadProblem:
    """The main text and metadata of an HTML page (trafilatura). ``known`` values (``title``, ``date``,
    ``source``, ``url``: what a feed says about the page) win over the page's own. Without
    ``guess_dates`` only a date the page declares (meta tags, JSON-LD, ``<time>``) is taken, never one
    guessed from its text."""
    import trafilatura
    from trafilatura.settings import set_date_params

    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                      favor_precision=True, date_extraction_params=set_date_params(guess_dates))
    if doc is None or not (doc.text or "").strip():
        return LoadProblem(source, "no article text found in the HTML (navigation or scripts only?)")
    meta = {"date": doc.date, "source": doc.sitename, "url": doc.url}
    meta.update({k: v for k, v in (known or {}).items() if v})
    title = meta.get("title") or doc.title or None
    text = doc.text
    first, _, rest = text.lstrip().partition("\n")
    titles = {" ".join(t.split()) for t in (title, doc.title) if t}
    if rest.strip() and " ".join(first.split()) in titles:
        text = rest  # the page's <h1> repeats the title above the story
    cleaned = clean_article(text, title=title)
    return _article(article_id, source, cleaned, {k: v for k, v in meta.items() if v})


def _records(path: Path, source: str, max_bytes: int) -> Iterator[Article | LoadProblem]:
    opener = gzip.open if suffix_of(path) == ".jsonl.gz" else open
    try:
        with opener(path, "rb") as raw:
            stream = io.BufferedReader(raw) if opener is gzip.open else raw
            line_no = 0
            while True:
                # read at most max_bytes of a line: a 100 MB record never sits in memory
                line = stream.readline(max_bytes + 1)
                if not line:
                    break
                line_no += 1
                where = f"{source}:{line_no}"
                if len(line) > max_bytes and not line.endswith(b"\n"):
                    skipped = len(line)
                    while line and not line.endswith(b"\n"):
                        line = stream.readline(1 << 20)
                        skipped += len(line)
                    yield LoadProblem(where, f"record too large ({skipped:,} bytes > {max_bytes:,})")
                    continue
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    yield LoadProblem(where, f"malformed JSON ({exc.msg if hasattr(exc, 'msg') else exc})")
                    continue
                if not isinstance(rec, dict):
                    yield LoadProblem(where, "a record must be a JSON object")
                    continue
                rid = rec.get("id", rec.get("doc_id"))
                if rid is None:
                    yield LoadProblem(where, "record has no 'id' or 'doc_id'")
                    continue
                rid = str(rid)
                if bad := check_id(rid):
                    yield LoadProblem(where, bad)
                    continue
                text = rec.get("text")
                if not isinstance(text, str) or not text.strip():
                    yield LoadProblem(where, f"record {rid!r} has no text")
                    continue
                title = rec.get("title")
                cleaned = clean_article(text, title=str(title) if title else None)
                meta = {k: str(rec[k]) for k in ("date", "source", "outlet", "url", "lang", "language") if rec.get(k)}
                yield _article(rid, where, cleaned, meta)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        yield LoadProblem(source, f"cannot read: {exc}")


def load_file(path: Path, root: Path, max_bytes: int) -> Iterator[Article | LoadProblem]:
    """Articles (or problems) from one file; ids relative to ``root``."""
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    suffix = suffix_of(path)
    if suffix in JSONL_SUFFIXES:
        yield from _records(path, rel, max_bytes)
        return
    article_id = rel[: -len(suffix)] if suffix and rel.lower().endswith(suffix) else rel
    if bad := check_id(article_id):
        yield LoadProblem(rel, bad)
        return
    for item in _load_single(path, rel, article_id, suffix, max_bytes):
        if isinstance(item, LoadProblem) and item.article_id is None:
            item = LoadProblem(item.source, item.reason, item.severity, article_id)
        yield item


def _load_single(path: Path, rel: str, article_id: str, suffix: str, max_bytes: int):
    try:
        size = path.stat().st_size
        if size > max_bytes:
            yield LoadProblem(rel, f"file too large ({size / 1e6:.1f} MB > {max_bytes / 1e6:.1f} MB limit)")
            return
        data = path.read_bytes()
    except OSError as exc:
        yield LoadProblem(rel, f"cannot read: {exc.strerror or exc}")
        return
    if not data:
        yield LoadProblem(rel, "empty file")
        return
    text, note = decode_bytes(data)
    if text is None:
        yield LoadProblem(rel, note or "not text")
        return
    if note:
        yield LoadProblem(rel, note, severity="warning")
    if suffix in HTML_SUFFIXES:
        yield article_from_html(article_id, rel, text)
    else:
        yield _from_text_file(article_id, rel, text, suffix)


def walk_corpus(root: Path) -> Iterator[Path | LoadProblem]:
    """Supported files under ``root`` in a stable order; skips hidden files. Symlinks are followed
    only while they stay inside the corpus (one pointing elsewhere — /etc, a home directory — is
    reported, not read) and a directory is visited once (a symlink loop is reported)."""
    root = Path(root)
    real_root = os.path.realpath(root)
    seen: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        if real in seen:
            yield LoadProblem(rel_dir, "directory already visited through a symlink (loop?); skipped")
            dirnames[:] = []
            continue
        if os.path.commonpath([real, real_root]) != real_root:
            yield LoadProblem(rel_dir, "symlink to a directory outside the corpus; skipped")
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            if not is_supported(path):
                continue
            target = os.path.realpath(path)
            if os.path.commonpath([target, real_root]) != real_root:
                yield LoadProblem(path.relative_to(root).as_posix(), "symlink to a file outside the corpus; skipped")
                continue
            yield path


def load_paths(paths: list[Path], corpus_root: Path | None, max_bytes: int) -> Iterator[Article | LoadProblem]:
    """Everything under the given files and directories. A directory is its own root; a file under
    ``corpus_root`` gets its id relative to it, so `ingest seeds/x.txt` and `ingest seeds` agree."""
    for given in paths:
        given = Path(given)
        if not given.exists():
            yield LoadProblem(str(given), "no such file or directory")
            continue
        if given.is_dir():
            root = Path(os.path.abspath(given))
            for item in walk_corpus(root):
                if isinstance(item, LoadProblem):
                    yield item
                else:
                    yield from load_file(item, root, max_bytes)
            continue
        if not is_supported(given):
            yield LoadProblem(str(given), f"unsupported file type {suffix_of(given) or '(none)'} "
                                          "(use .txt, .md, .html or .jsonl/.jsonl.gz)")
            continue
        path = Path(os.path.abspath(given))
        base = Path(os.path.abspath(corpus_root)) if corpus_root else None
        root = base if base and path.is_relative_to(base) else path.parent
        yield from load_file(path, root, max_bytes)
