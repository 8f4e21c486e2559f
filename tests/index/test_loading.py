"""Every input format, and bad input: reported by name with a reason, the rest still read."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

from index.articles import Article, LoadProblem
from index.loading import load_paths
from tests.conftest import SEEDS

ORANGESUM_LIKE = [
    {"doc_id": "os-1", "title": "Grève à la SNCF", "date": "2019-12-05",
     "text": "La grève a commencé jeudi.Le gouvernement a réagi vendredi."},
    {"id": 42, "title": "Un record", "text": "Le record a été battu.", "source": "Le Monde", "url": "https://x.fr/a"},
]


def load(*paths, root=None, max_bytes=10**7):
    items = list(load_paths([Path(p) for p in paths], root, max_bytes))
    return ([i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, LoadProblem)])


def test_seed_directory_ids_are_relative_paths_without_extension():
    articles, problems = load(SEEDS)
    assert not problems
    assert [a.id for a in articles] == [p.stem for p in sorted(SEEDS.glob("*.txt"))]
    assert articles[0].id == "000_479cb51d5ccf07b4"


def test_a_file_given_alone_keeps_the_id_it_has_in_its_corpus():
    articles, _ = load(SEEDS / "004_49cb5cfbe3980482.txt", root=SEEDS)
    assert articles[0].id == "004_49cb5cfbe3980482"


def test_nested_directories_give_path_ids(tmp_path):
    (tmp_path / "2024" / "août").mkdir(parents=True)
    (tmp_path / "2024" / "août" / "a.txt").write_text("Titre\nCorps de l'article.", encoding="utf-8")
    articles, _ = load(tmp_path)
    assert articles[0].id == "2024/août/a"


def test_markdown_with_front_matter(tmp_path):
    (tmp_path / "m.md").write_text(
        "---\ntitle: Un titre\ndate: 2025-03-02\nsource: Le Temps\nurl: https://t.ch/x\n---\n\nLe texte.\n",
        encoding="utf-8")
    (tmp_path / "h.md").write_text("# Titre en dièse\n\nParagraphe un.\n", encoding="utf-8")
    articles, problems = load(tmp_path)
    by_id = {a.id: a for a in articles}
    assert not problems
    assert (by_id["m"].title, by_id["m"].date, by_id["m"].outlet, by_id["m"].url) == (
        "Un titre", "2025-03-02", "Le Temps", "https://t.ch/x")
    assert by_id["m"].text == "Le texte."
    assert by_id["h"].title == "Titre en dièse" and by_id["h"].text == "Paragraphe un."


def test_html_main_text_is_extracted(tmp_path):
    nav = "".join(f"<li><a href='/r{i}'>Rubrique {i}</a></li>" for i in range(30))
    story = " ".join(f"Le conseil municipal a voté la mesure numéro {i} après un long débat public." for i in range(12))
    (tmp_path / "page.html").write_text(
        f"<html><head><title>Vote au conseil</title><meta property='og:site_name' content='La Gazette'>"
        f"<meta name='date' content='2025-06-01'></head><body><nav><ul>{nav}</ul></nav>"
        f"<article><h1>Vote au conseil</h1><p>{story}</p></article><footer>© La Gazette</footer></body></html>",
        encoding="utf-8")
    articles, problems = load(tmp_path)
    assert not problems
    a = articles[0]
    assert a.id == "page" and a.title == "Vote au conseil"
    assert "mesure numéro 11" in a.text and "Rubrique 3" not in a.text
    assert a.date == "2025-06-01" and a.outlet == "La Gazette"


def test_jsonl_and_gzip_records(tmp_path):
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in ORANGESUM_LIKE) + "\n"
    (tmp_path / "a.jsonl").write_text(lines, encoding="utf-8")
    with gzip.open(tmp_path / "b.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(lines.replace("os-1", "os-2").replace("42", "43"))
    articles, problems = load(tmp_path)
    assert not problems
    by_id = {a.id: a for a in articles}
    assert set(by_id) == {"os-1", "42", "os-2", "43"}
    assert by_id["os-1"].date == "2019-12-05" and by_id["os-1"].date_source == "metadata"
    assert by_id["os-1"].title == "Grève à la SNCF" and by_id["os-1"].title_source == "metadata"
    assert by_id["42"].outlet == "Le Monde" and by_id["42"].url == "https://x.fr/a"
    assert by_id["os-1"].source == "a.jsonl:1"


def test_bad_files_are_reported_by_name_and_the_rest_is_read(tmp_path):
    (tmp_path / "good.txt").write_text("Titre\nUn bon article.", encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("   \n\n  \t \n", encoding="utf-8")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    (tmp_path / "nul.txt").write_bytes(b"abc\x00def" * 10)
    (tmp_path / "big.txt").write_text("Titre\n" + "x" * 2000, encoding="utf-8")
    (tmp_path / "records.jsonl").write_text(
        '{"id": "r1", "title": "T", "text": "Bon."}\n{"id": "r2", "text": \n{"text": "sans id"}\n'
        '{"id": "../../outside", "text": "x"}\n[1, 2]\n{"id": "r3", "text": ""}\n{"id": "r4", "text": "Bon aussi."}\n',
        encoding="utf-8")
    articles, problems = load(tmp_path, max_bytes=1500)
    assert sorted(a.id for a in articles) == ["good", "r1", "r4"]
    reasons = {p.source: p.reason for p in problems}
    assert reasons["empty.txt"] == "empty file"
    assert reasons["blank.txt"] == "only whitespace"
    assert "PNG" in reasons["image.txt"]
    assert "NUL" in reasons["nul.txt"]
    assert "too large" in reasons["big.txt"]
    assert "malformed JSON" in reasons["records.jsonl:2"]
    assert "no 'id'" in reasons["records.jsonl:3"]
    assert "path traversal" in reasons["records.jsonl:4"]
    assert "JSON object" in reasons["records.jsonl:5"]
    assert "no text" in reasons["records.jsonl:6"]


def test_legacy_encodings_and_bom_are_decoded(tmp_path):
    text = "Élection à Besançon\nLe député a déclaré : « Ça suffit », à 14 h 30 — été 2025."
    (tmp_path / "latin1.txt").write_bytes(text.replace("—", "-").encode("latin-1"))
    (tmp_path / "cp1252.txt").write_bytes(text.encode("cp1252"))
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    articles, problems = load(tmp_path)
    by_id = {a.id: a for a in articles}
    assert by_id["bom"].title == "Élection à Besançon"
    assert by_id["cp1252"].text == text.split("\n")[1]
    assert by_id["latin1"].title == "Élection à Besançon" and "« Ça suffit »" in by_id["latin1"].text
    assert {p.source for p in problems if p.severity == "warning"} == {"latin1.txt", "cp1252.txt"}


def test_symlink_loop_is_reported_not_followed(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("Titre\nTexte.", encoding="utf-8")
    (tmp_path / "a" / "loop").symlink_to(tmp_path, target_is_directory=True)
    articles, problems = load(tmp_path)
    assert [a.id for a in articles] == ["a/x"]
    assert any("symlink" in p.reason for p in problems)


def test_missing_path_and_unsupported_type(tmp_path):
    (tmp_path / "doc.pdf").write_bytes(b"%PDF-1.4")
    _, problems = load(tmp_path / "nope", tmp_path / "doc.pdf")
    assert "no such file" in problems[0].reason
    assert "unsupported file type .pdf" in problems[1].reason
