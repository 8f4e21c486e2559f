"""An Answer as Discord messages: pure functions, no network, unit-tested on their own.

Rules (what people expect from the bots they already run):
- a message is at most 2,000 characters (counted in UTF-16 units, as Discord's clients count them);
- long texts split at paragraph → line → sentence → word boundaries, never inside a ``[n]`` marker,
  a source line or a ``<url>``, and never leaving a marker at the start of the next message;
- sources are numbered lines ``[n] Title — outlet, date <url>`` (``<...>`` suppresses link previews);
- article text may contain ``@everyone`` or ``<@123>``: it is neutralised (a zero-width space) so it never
  pings or renders as a mention, and its Markdown is escaped, so quotes read verbatim.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

from bot.answer.types import Answer, Citation
from bot.dates import format_date
from bot.discordbot.engine import FeedsStatus
from bot.messages import say
from index.ingest import IngestReport
from index.store import StoreStatus

MESSAGE_LIMIT = 2000
ZWSP = "\u200b"

_MENTION = re.compile(r"<(@[!&]?|#|/)")
_EVERYONE = re.compile(r"@(everyone|here)", re.IGNORECASE)
# Discord's own Markdown specials; `[n]` markers and URLs are left alone
_MARKDOWN = re.compile(
    r"(?P<url>https?://[^\s<>]+)|(?P<md>[\\_*~|`])"
    r"|^(?P<lead>[ \t]*)(?:(?P<start>>>>|>|#{1,3}|-#|[-+])|(?P<num>\d{1,9})\.)(?=\s)"
    r"|(?P<link>\[(?=[^\]\n]*\]\())",
    re.MULTILINE,
)
_MARKER = re.compile(r"\[\d{1,3}\]")


# -- neutralising -------------------------------------------------------------------------------
def neutralize_mentions(text: str) -> str:
    """``@everyone``/``@here``, user, role, channel and command mentions become inert text."""
    text = _EVERYONE.sub(lambda m: "@" + ZWSP + m.group(1), text)
    return _MENTION.sub(lambda m: "<" + m.group(1)[0] + ZWSP + m.group(1)[1:], text)


def escape_markdown(text: str) -> str:
    """Markdown specials get a backslash (invisible once rendered); URLs and ``[n]`` markers stay as they are."""

    def repl(m: re.Match) -> str:
        if m.group("url"):
            return m.group("url")
        if m.group("md"):
            return "\\" + m.group("md")
        if m.group("start"):
            return m.group("lead") + "\\" + m.group("start")
        if m.group("num"):
            return m.group("lead") + m.group("num") + "\\."
        return "\\["

    return _MARKDOWN.sub(repl, text)


def safe(text: str) -> str:
    """Text from the articles or from users, made inert for Discord: no pings, no Markdown."""
    return neutralize_mentions(escape_markdown(text))


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit for ``<...>``, or None (a URL with spaces or brackets could break out)."""
    if not url:
        return None
    url = url.strip()
    if not re.fullmatch(r"https?://[^\s<>]+", url):
        return None
    return url


# -- length and splitting -----------------------------------------------------------------------
def discord_len(text: str) -> int:
    """Length as Discord counts it (UTF-16 code units: an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"[.!?…](?:[»\"”’)\]]|\s*»)*(?:\s*\[\d{1,3}\])*(?=\s|$)")


def _cut_after(text: str, positions: Iterable[int]) -> list[str]:
    pieces, start = [], 0
    for p in sorted(set(positions)):
        if start < p < len(text):
            pieces.append(text[start:p])
            start = p
    pieces.append(text[start:])
    return pieces


def _quote_depth(text: str) -> list[int]:
    """For each position, how many « » quotes are open once that character is read."""
    depth, out = 0, []
    for ch in text:
        if ch == "«":
            depth += 1
        elif ch == "»":
            depth = max(0, depth - 1)
        out.append(depth)
    return out


_ABBREVIATION = re.compile(r"(?:^|[\s(])(?:[A-ZÉ]{1,2}|Mme|Mgr|Dr|St|Pr|Me|av|J\.-C)\.$")


_NO_BREAK_BEFORE = re.compile(r"\[\d{1,3}\]|[»:;!?]")


def _word_breaks(text: str) -> list[int]:
    """Spaces where a message may end: not before a ``[n]`` marker or closing punctuation, not after «."""
    return [m.end() for m in re.finditer(r"\s+", text)
            if not _NO_BREAK_BEFORE.match(text, m.end()) and text[m.start() - 1 : m.start()] != "«"]


def _pieces(text: str, level: int) -> list[str]:
    if level == 0:  # paragraphs
        return _cut_after(text, (m.end() for m in _PARAGRAPH.finditer(text)))
    newlines = [m.end() for m in re.finditer(r"\n", text)]
    if level == 1:  # lines
        return _cut_after(text, newlines)
    if level in (2, 3):  # sentences, first only those outside « quotes »
        depth = _quote_depth(text)
        ends = []
        for m in _SENTENCE_END.finditer(text):
            if _ABBREVIATION.search(text[max(0, m.start() - 6) : m.start() + 1]):
                continue
            if level == 3 or depth[m.end() - 1] == 0:
                ws = re.match(r"\s+", text[m.end():])
                ends.append(m.end() + (ws.end() if ws else 0))
        return _cut_after(text, ends + newlines)
    return _cut_after(text, _word_breaks(text) + newlines)  # words


_PROTECTED = re.compile(r"\[\d{1,3}\]|<https?://[^\s>]+>")


def _hard_split(text: str, limit: int) -> list[str]:
    """Last resort for a word longer than a message: cut, but never inside a marker or a <url>."""
    out, start = [], 0
    while discord_len(text[start:]) > limit:
        end = start
        while end < len(text) and discord_len(text[start : end + 1]) <= limit:
            end += 1
        for m in _PROTECTED.finditer(text, max(0, start - 300)):
            if m.start() < end < m.end() and m.start() > start:
                end = m.start()
        out.append(text[start:end])
        start = end
    out.append(text[start:])
    return out


def _pack(text: str, limit: int, level: int) -> list[str]:
    if discord_len(text.strip()) <= limit:
        return [text]
    if level > 4:
        return _hard_split(text, limit)
    out: list[str] = []
    current = ""
    for piece in _pieces(text, level):
        if discord_len((current + piece).strip()) <= limit:
            current += piece
            continue
        if discord_len(piece.strip()) <= limit:  # a new message starts at this boundary
            if current.strip():
                out.append(current)
            current = piece
            continue
        # the piece must be split anyway: its beginning fills the current message
        if level >= 1 and piece.startswith("> "):  # a long block-quote line: every part stays quoted
            quote, head = piece[2:], ""
            room = limit - discord_len(current.rstrip()) - 3
            if current.strip() and room >= min(200, limit // 4):
                head = _pack(quote, room, level + 1)[0]
                quote = quote[len(head):]
            elif current.strip():
                out.append(current)
                current = ""
            parts = ["> " + p.strip() + "\n" for p in _pack(quote, limit - 2, level + 1) if p.strip()]
            if head.strip():
                parts.insert(0, current.rstrip("\n") + "\n> " + head.strip() + "\n")
        else:
            parts = _pack(current + piece, limit, level + 1)
        out.extend(parts[:-1])
        current = parts[-1] if parts else ""
    if current.strip():
        out.append(current)
    return out


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """``text`` in messages of at most ``limit`` characters, cut at the most natural boundary."""
    return [p.strip() for p in _pack(text.strip(), limit, 0) if p.strip()]


# -- answers --------------------------------------------------------------------------------------
def source_line(c: Citation, lang: str, *, numbered: bool = True, numbers: list[int] | None = None) -> str:
    """``[2] Title — outlet, 12 janvier 2026 <https://…>`` (title and outlet made inert)."""
    refs = ", ".join(f"[{n}]" for n in (numbers or [c.n]))
    rest = safe(c.source_line(lang, numbers)[len(refs) + 1:])
    line = f"{refs} {rest}" if numbered else f"• {rest}"
    url = safe_url(c.url)
    return f"{line} <{url}>" if url else line


def answer_body(answer: Answer) -> str:
    """The answer text for Discord. Its frame is ours and may use Markdown (``selon *Titre* (…)``); what
    comes from the articles (quotes, titles, outlets) gets its Markdown escaped; mentions are neutralised
    everywhere."""
    return framed(answer.text, [*answer.citations, *answer.related])


def framed(text: str, citations: list[Citation]) -> str:
    """``text`` made of our frame around article pieces: the pieces escaped, mentions neutralised."""
    text = text.strip()
    spans: list[tuple[int, int]] = []
    for c in citations:
        for piece in (c.quote, c.answer_span, c.title, c.outlet, c.short_title(),
                      *(p.strip(" …") for p in c.excerpt().split("…"))):
            piece = (piece or "").strip()
            start = text.find(piece) if piece else -1
            while start != -1:
                spans.append((start, start + len(piece)))
                start = text.find(piece, start + len(piece))
    out, pos = [], 0
    for start, end in _merge(spans):
        out += [text[pos:start], escape_markdown(text[start:end])]
        pos = end
    out.append(text[pos:])
    return neutralize_mentions("".join(out))


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def answer_text(answer: Answer) -> str:
    """The whole answer as one text: the answer with its markers, then the numbered sources."""
    lang = answer.language
    parts = [answer_body(answer)]
    if answer.citations:
        parts.append(f"**{say(lang, 'answer.sources')}**\n"
                     + "\n".join(source_line(c, lang, numbers=numbers) for numbers, c in answer.sources()))
    if answer.refused and answer.related:
        parts.append(f"**{say(lang, 'answer.related')}**\n"
                     + "\n".join(source_line(c, lang, numbered=False) for c in answer.related))
    return "\n\n".join(p for p in parts if p)


def render_answer(answer: Answer, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The messages that carry an answer, in order (the first one replies to the question)."""
    return split_message(answer_text(answer), limit)


def render_timeline(timeline, limit: int = MESSAGE_LIMIT) -> list[str]:
    """A timeline: one dated, quoted line per article, then the numbered sources."""
    lang = timeline.language
    parts = [framed(timeline.text, timeline.entries)]
    if timeline.entries:
        parts.append(f"**{say(lang, 'answer.sources')}**\n" + "\n".join(source_line(c, lang) for c in timeline.entries))
    return split_message("\n\n".join(parts), limit)


def passages_text(answer: Answer) -> str:
    """The verbatim quotes behind an answer (or, for a refusal, the related passages)."""
    lang = answer.language
    citations, title = answer.citations, say(lang, "discord.passages_title")
    if not citations and answer.refused and answer.related:
        citations, title = answer.related, say(lang, "discord.related_passages_title")
    if not citations:
        return say(lang, "discord.no_passages")
    blocks = [title]
    for c in citations:
        quote = "\n".join("> " + safe(line.strip()) for line in c.quote.splitlines() if line.strip())
        blocks.append(f"{source_line(c, lang)}\n{quote}")
    return "\n\n".join(blocks)


def render_passages(answer: Answer, limit: int = MESSAGE_LIMIT) -> list[str]:
    return split_message(passages_text(answer), limit)


# -- admin ----------------------------------------------------------------------------------------
def reindex_report(report: IngestReport, lang: str) -> str:
    text = say(
        lang, "discord.reindex_done", seconds=report.seconds, added=report.articles_added,
        updated=report.articles_updated, removed=report.articles_removed, unchanged=report.articles_unchanged,
        embedded=report.chunks_embedded, reused=report.chunks_reused,
    )
    if report.problems:
        text += "\n" + say(lang, "discord.reindex_skipped", n=len(report.problems))
    return text


def status_text(status: StoreStatus, lang: str, *, feeds: FeedsStatus | None = None,
                running: str | None = None) -> str:
    """What `/status` says: corpus size, the last ingest, the last feed poll (and what is running)."""
    last = status.last_ingest
    if last is not None:
        r = last.report
        last_text = say(lang, "discord.status_last", when=_when(last.finished_at), added=r.articles_added,
                        updated=r.articles_updated, removed=r.articles_removed)
    else:
        last_text = say(lang, "discord.status_never")
    text = say(lang, "discord.status", articles=f"{status.articles:,}".replace(",", "\u202f"),
               chunks=f"{status.chunks:,}".replace(",", "\u202f"), last=last_text)
    poll = feeds.last_poll if feeds is not None else None
    if poll is not None:
        r = poll.report
        text += "\n" + say(lang, "discord.status_feeds", when=_when(poll.finished_at), new=r.new, updated=r.updated,
                           failed=r.failed)
    elif feeds is not None and feeds.subscriptions:
        text += "\n" + say(lang, "discord.status_feeds_never", n=feeds.subscriptions)
    if running:
        text += "\n" + running
    return text


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


# -- feeds ----------------------------------------------------------------------------------------
def news_line(article: dict, lang: str) -> str:
    """One new article, as the news channel shows it: ``📰 Title — outlet, 12 janvier 2026 <url>``."""
    line = f"📰 {safe(article.get('title') or '?')} — {safe(article.get('outlet') or '?')}, " \
           f"{format_date(article.get('date'), lang)}"
    url = safe_url(article.get("url"))
    return f"{line} <{url}>" if url else line


def news_messages(articles: list[dict], lang: str, limit: int = MESSAGE_LIMIT, most: int = 20) -> list[str]:
    """One line per new article (at most ``most`` of them, then how many more), packed into messages."""
    lines = [news_line(a, lang) for a in articles[:most]]
    if len(articles) > most:
        lines.append(say(lang, "discord.news_more", n=len(articles) - most))
    return split_message("\n".join(lines), limit)


def feeds_text(feeds: list[dict], lang: str, interval_minutes: float) -> str:
    """What `/feeds` says: each feed, where it is, what it said last."""
    if not feeds:
        return say(lang, "discord.feeds_none")
    every = (say(lang, "discord.feeds_every", minutes=interval_minutes) if interval_minutes
             else say(lang, "discord.feeds_off"))
    lines = [say(lang, "discord.feeds_title", n=len(feeds), every=every)]
    for f in feeds:
        last = (say(lang, "discord.feeds_last", when=_when(f["polled_at"]), status=f["status"] or "?")
                if f.get("polled_at") else say(lang, "discord.feeds_never"))
        if f.get("error"):
            last += f" — {f['error']}"
        url = safe_url(f["url"])
        lines.append(f"• {safe(f.get('outlet') or '?')} " + (f"<{url}> " if url else "") + f"— {safe(last)}")
    return "\n".join(lines)
