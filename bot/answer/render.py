"""An Answer as plain text, for the terminal and logs (Discord has its own formatting)."""

from __future__ import annotations

from bot.answer.types import Answer

_LABELS = {
    "fr": {"sources": "Sources", "related": "Passages proches (liés au sujet, mais pas une réponse)"},
    "en": {"sources": "Sources", "related": "Related passages (on the topic, but not an answer)"},
}


def render_text(answer: Answer, *, quotes: bool = False) -> str:
    labels = _LABELS.get(answer.language, _LABELS["en"])
    parts = [answer.text]
    if answer.citations:
        parts.append("")
        parts.append(f"{labels['sources']}:")
        for c in answer.citations:
            line = c.source_line(answer.language)
            if c.url:
                line += f" <{c.url}>"
            parts.append(line)
            if quotes:
                parts.append(f"    « {c.quote} »")
    if answer.refused and answer.related:
        parts.append("")
        parts.append(f"{labels['related']}:")
        for c in answer.related:
            parts.append(f"- {c.source_line(answer.language)[len(f'[{c.n}] '):]}")
            parts.append(f"    « {c.quote} »")
    return "\n".join(parts)
