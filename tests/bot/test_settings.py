from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings


def test_environment_and_env_file(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text(
        "KIOSQUE_STORE_DIR=/srv/kiosque\nKIOSQUE_DISCORD_TOKEN=abc.def.secret\n"
        "KIOSQUE_DISCORD_ADMIN_ROLES=Modérateurs, Admins\nKIOSQUE_EMBED_BATCH_SIZE=16\n", encoding="utf-8")
    monkeypatch.setenv("KIOSQUE_EMBED_PRECISION", "fp32")  # the environment wins over .env
    monkeypatch.setenv("KIOSQUE_EMBED_BATCH_SIZE", "8")
    s = load_settings(env_file)
    assert s.store.dir == Path("/srv/kiosque")
    assert s.discord.admin_roles == ["Modérateurs", "Admins"]
    assert (s.embed.precision, s.embed.batch_size) == ("fp32", 8)
    assert s.discord.token.get_secret_value() == "abc.def.secret"


def test_secrets_never_print(monkeypatch):
    monkeypatch.setenv("KIOSQUE_DISCORD_TOKEN", "very-secret-token")
    monkeypatch.setenv("KIOSQUE_LLM_API_KEY", "sk-secret-key")
    s = load_settings(None)
    for text in (repr(s), str(s), s.model_dump_json()):
        assert "very-secret-token" not in text and "sk-secret-key" not in text


def test_overrides_from_the_command_line():
    s = load_settings(None, store__dir=Path("/tmp/x"), answer__mode="generative")
    assert s.store.dir == Path("/tmp/x") and s.answer.mode == "generative"
    assert load_settings(None, store__dir=None).store.dir == Settings().store.dir


def test_env_example_lists_every_setting():
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text(encoding="utf-8")
    for section_name, section in Settings.model_fields.items():
        model = section.annotation
        if hasattr(model, "model_fields"):
            for field in model.model_fields:
                assert f"KIOSQUE_{section_name.upper()}_{field.upper()}" in example, (section_name, field)
        else:
            assert f"KIOSQUE_{section_name.upper()}" in example


def test_overrides_are_merged_with_the_environment_and_validated(monkeypatch):
    monkeypatch.setenv("KIOSQUE_ANSWER_REFUSAL_THRESHOLD", "0.4")
    s = load_settings(None, answer__mode="generative")
    assert (s.answer.mode, s.answer.refusal_threshold) == ("generative", 0.4)  # the section is merged, not replaced
    with pytest.raises(SettingsError, match=r"answer.mode = 'generatve' \(from the command line\): Input should be "
                                            r"'extractive' or 'generative'"):
        load_settings(None, answer__mode="generatve")
    with pytest.raises(SettingsError, match=r"retrieval.rrf_k = -3 .*greater than or equal to 1"):
        load_settings(None, retrieval__rrf_k=-3)
    with pytest.raises(SettingsError, match="unknown setting 'retrieval.rrf'"):
        load_settings(None, retrieval__rrf=3)
    with pytest.raises(SettingsError, match=r"llm.max_tokens .*greater than or equal to 1"):  # a whole section
        load_settings(None, llm=load_settings(None).llm.model_copy(update={"max_tokens": 0}))


def test_a_bad_environment_value_names_its_variable(monkeypatch):
    monkeypatch.setenv("KIOSQUE_RETRIEVAL_RRF_K", "-3")
    monkeypatch.setenv("KIOSQUE_CHUNK_MAX_CHARS", "100")
    with pytest.raises(SettingsError) as caught:
        load_settings(None)
    message = str(caught.value)
    assert message.startswith("2 invalid settings: ") and "\n" not in message
    assert "retrieval.rrf_k = '-3' (KIOSQUE_RETRIEVAL_RRF_K)" in message
    assert "max_chars (100) must be at least target_chars (800)" in message


def test_secrets_never_appear_in_a_settings_error(monkeypatch):
    monkeypatch.setenv("KIOSQUE_LLM_API_KEY", "sk-secret-key")
    with pytest.raises(SettingsError) as caught:
        load_settings(None, llm__api_key=["sk-secret-key"], llm__timeout_s=0)
    assert "sk-secret-key" not in str(caught.value) and "llm.timeout_s = 0" in str(caught.value)



def test_feed_urls_are_urls_or_outlet_equals_url(monkeypatch):
    monkeypatch.setenv("KIOSQUE_FEEDS_URLS", "https://a.example/rss, Le Canard=http://b.example/feed.xml")
    assert load_settings(None).feeds.urls == ["https://a.example/rss", "Le Canard=http://b.example/feed.xml"]


@pytest.mark.parametrize("variable, value, expected", [
    ("KIOSQUE_FEEDS_URLS", "https://a.example/rss,Le Canard b.example/feed.xml",
     "(KIOSQUE_FEEDS_URLS): 'Le Canard b.example/feed.xml' is not a feed URL (write http(s)://… or Outlet "
     "name=http(s)://…, separated by commas)"),
    ("KIOSQUE_FEEDS_HOST_CONCURRENCY", "0", "feeds.host_concurrency = '0' (KIOSQUE_FEEDS_HOST_CONCURRENCY): Input "
                                            "should be greater than or equal to 1"),
    ("KIOSQUE_DISCORD_NEWS_CHANNEL", "#actualites", "discord.news_channel = '#actualites' "
                                                    "(KIOSQUE_DISCORD_NEWS_CHANNEL): String should match pattern"),
])
def test_feed_settings_are_checked_when_read(monkeypatch, variable, value, expected):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(None)
    assert str(caught.value).startswith("invalid setting ") and expected in str(caught.value)
