"""A synthetic corpus built from the seeds to exercise what makes news special: a wire copy of a
story under another outlet, and an updated version of a story with a later date and changed figures."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import SEEDS

WIRE_COPY_ID = "wire/002_copy_le_courrier"
UPDATE_ID = "updates/000_update_march"


def build(target: Path) -> Path:
    """seeds/ plus a wire copy of 002 (another outlet, same day) and an update of 000 (later,
    with new figures). Dates and outlets come as Markdown front matter, as a feed would give them."""
    shutil.copytree(SEEDS, target)
    (target / "wire").mkdir()
    (target / "updates").mkdir()
    original = (SEEDS / "002_c0b1337957862e59.txt").read_text(encoding="utf-8")
    lines = original.splitlines()
    body = "\n".join(lines[1 : lines.index("Jforum.fr")])
    (target / f"{WIRE_COPY_ID}.md").write_text(
        "---\ntitle: L'Iran sollicite l'aide de Moscou après les frappes américaines\ndate: 2025-06-24\n"
        "source: Le Courrier du Levant\n---\n\n(Le Courrier du Levant, avec agences) " + body + "\n",
        encoding="utf-8")
    # the original is given the same date through a sidecar copy with front matter
    (target / "002_c0b1337957862e59.txt").unlink()
    (target / "002_c0b1337957862e59.md").write_text(
        f"---\ntitle: {lines[0]}\ndate: 2025-06-23\nsource: JForum\n---\n\n" + body + "\n", encoding="utf-8")

    seed000 = (SEEDS / "000_479cb51d5ccf07b4.txt").read_text(encoding="utf-8").splitlines()
    story = "\n".join(seed000[1:-1])
    assert "six fois au téléphone" in story and "plus de 2 milliards" in story
    updated = (story.replace("six fois au téléphone", "huit fois au téléphone")
               .replace("plus de 2 milliards", "plus de 3 milliards"))
    (target / f"{UPDATE_ID}.md").write_text(
        "---\ntitle: Russie-Israël : l'ambassadeur russe revient sur les contacts entre Poutine et Netanyahu\n"
        "date: 2026-03-02\nsource: All Israel News\n---\n\n" + updated + "\n", encoding="utf-8")
    (target / "000_479cb51d5ccf07b4.txt").unlink()
    (target / "000_479cb51d5ccf07b4.md").write_text(
        f"---\ntitle: {seed000[0]}\ndate: 2026-01-17\nsource: All Israel News\n---\n\n" + story + "\n",
        encoding="utf-8")
    return target
