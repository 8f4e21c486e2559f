"""Cut a cleaned article into passages of about 800 characters on paragraph and sentence
boundaries. Each chunk is a span of the article text, so citations can point back into it.

~800 characters (~200 tokens) is what measured best here, and stays far below e5's 512-token limit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from index.sentences import split_sentences


@dataclass(frozen=True)
class Chunk:
    article_id: str
    position: int
    start: int
    end: int
    text: str

    @property
    def id(self) -> str:
        """Content-addressed: the same text at the same place of the same article keeps its id,
        so an edited article re-embeds only the chunks that changed."""
        key = f"{self.article_id}\0{self.start}\0{self.end}\0{self.text}"
        return hashlib.sha1(key.encode("utf-8")).hexdigest()[:24]


def _units(text: str, max_chars: int) -> list[tuple[int, int, int]]:
    """(start, end, paragraph index) of every sentence; over-long sentences cut at spaces."""
    units = []
    para = 0
    prev_end = 0
    for start, end in split_sentences(text):
        if "\n" in text[prev_end:start]:
            para += 1
        prev_end = end
        while end - start > max_chars:
            cut = text.rfind(" ", start, start + max_chars)
            if cut <= start:
                cut = start + max_chars
            units.append((start, cut, para))
            start = cut
            while start < end and text[start] == " ":
                start += 1
        if end > start:
            units.append((start, end, para))
    return units


def chunk_article(article_id: str, text: str, target_chars: int = 800, max_chars: int = 1000) -> list[Chunk]:
    """Pack sentences greedily up to ``target_chars``; close early at a paragraph break once a
    chunk is reasonably full; never exceed ``max_chars``."""
    units = _units(text, max_chars)
    chunks: list[Chunk] = []
    cur: list[tuple[int, int, int]] = []

    def flush() -> None:
        if cur:
            s, e = cur[0][0], cur[-1][1]
            chunks.append(Chunk(article_id, len(chunks), s, e, text[s:e]))
            cur.clear()

    for unit in units:
        if cur:
            size = cur[-1][1] - cur[0][0]
            with_unit = unit[1] - cur[0][0]
            new_paragraph = unit[2] != cur[-1][2]
            if with_unit > max_chars:
                flush()
            elif with_unit > target_chars and size >= target_chars // 2:
                flush()
            elif new_paragraph and size >= int(target_chars * 0.6):
                flush()
        cur.append(unit)
    flush()
    return chunks
