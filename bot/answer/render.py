"""An Answer as plain text, for the terminal and logs (Discord has its own formatting)."""

from __future__ import annotations

from bot.answer.types import Answer
from bot.messages import say


def render_text(answer: Answer, *, quotes: bool = False) -> str:
    lang = answer.language
    parts = [answer.text]
    if answer.citations:
        parts.append("")
        parts.append(f"{say(lang, 'answer.sources')}:")
        for numbers, c in answer.sources():
            line = c.source_line(lang, numbers)
            if c.url:
                line += f" <{c.url}>"
            parts.append(line)
            if quotes:
                parts.extend(say(lang, "terminal.quote", n=q.n, quote=q.quote)
                             for q in answer.citations if q.article_id == c.article_id)
    if answer.refused and answer.related:
        parts.append("")
        parts.append(f"{say(lang, 'answer.related')}:")
        for c in answer.related:
            parts.append(f"- {c.source_line(lang)[len(f'[{c.n}] '):]}")
            parts.append(say(lang, "terminal.related_quote", quote=c.quote))
    return "\n".join(parts)
