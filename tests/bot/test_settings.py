from __future__ import annotations

from pathlib import Path

from bot.settings import Settings, load_settings


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
