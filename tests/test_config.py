"""The settings: typed models read from the secrets file and the environment, once per process.

Every limit a model declares is tried below and above from both sources, and each refusal must name the
setting as a person writes it, with the allowed range or kind, never a secret or pydantic's own text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import annotated_types
import pytest
from pydantic import BaseModel

from lib.config import (
    GoogleSettings,
    MidtransSettings,
    Settings,
    SmtpSettings,
    current_settings,
    load_settings,
)
from lib.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
TABLES: dict[str, type[BaseModel]] = {"": Settings, "google": GoogleSettings, "smtp": SmtpSettings,
                                      "midtrans": MidtransSettings}
SECRETS = {"supabase_service_role_key": "srk-0001-secret", "google.credentials_json": '{"secret": "gcj-0002"}',
           "smtp.password": "smtp-0003-secret", "midtrans.server_key": "SB-Mid-server-0004-secret",
           "midtrans.client_key": "SB-Mid-client-0005-secret"}
PYDANTIC_WORDS = ("Input should", "validation error", "pydantic", "type=", "input_value")


def _env(setting: str) -> str:
    return "CALLEXPERT_" + setting.replace(".", "_").upper()


def _toml(setting: str, value: Any) -> str:
    """A secrets file setting one key (in its table when the name has one)."""
    literal = repr(value).replace("'", '"') if not isinstance(value, bool) else str(value).lower()
    table, _, key = setting.rpartition(".")
    return f"[{table}]\n{key} = {literal}\n" if table else f"{key} = {literal}\n"


def _limited() -> list[tuple[str, Any, str]]:
    """(setting, a value past one of its limits, a word of the range the message must give) for every
    ``Field`` limit of every model."""
    cases = []
    for table, model in TABLES.items():
        for name, field in model.model_fields.items():
            setting = f"{table}.{name}" if table else name
            kind = field.annotation
            for limit in field.metadata:
                if isinstance(limit, annotated_types.Ge):
                    cases.append((setting, kind(limit.ge) - 1, "negative" if limit.ge == 0 else f"{limit.ge:g}"))
                elif isinstance(limit, annotated_types.Gt):
                    cases.append((setting, kind(limit.gt), f"more than {limit.gt:g}"))
                elif isinstance(limit, annotated_types.Le):
                    cases.append((setting, kind(limit.le) + 1, f"{limit.le:g}"))
    return cases


LIMITED = _limited()


def test_every_limit_is_tried():
    names = {setting for setting, *_ in LIMITED}
    assert {"link_attempts", "reconcile_days", "notifications_port", "google.timeout_seconds",
            "google.requests_at_once", "smtp.port", "smtp.send_attempts", "midtrans.pending_alert_minutes"} <= names
    assert len([s for s in LIMITED if s[0] == "reconcile_days"]) == 2  # below and above


def _refusal(tmp_path: Path, *, file: str = "", env: dict[str, str] | None = None) -> str:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(file, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(secrets, env or {})
    message = str(refused.value)
    assert not any(word in message for word in PYDANTIC_WORDS), message
    return message


@pytest.mark.parametrize(("setting", "value", "words"), LIMITED, ids=[f"{s}={v}" for s, v, _ in LIMITED])
def test_a_value_past_its_limit_is_refused_naming_the_setting_and_its_range(tmp_path, setting, value, words):
    from_file = _refusal(tmp_path, file=_toml(setting, value))
    assert f"Setting `{setting}`" in from_file and words in from_file and "CALLEXPERT_" not in from_file
    from_env = _refusal(tmp_path, env={_env(setting): str(value)})
    assert f"Setting `{setting}`" in from_env and words in from_env and _env(setting) in from_env


WRONG_KIND = [
    ("link_attempts", "many", "a whole number"),
    ("supabase_timeout_seconds", "soon", "a number"),
    ("seed_demo_data", "maybe", "true or false"),
    ("google.requests_per_minute", 1.5, "a whole number"),
    ("smtp.port", "smtp", "a whole number"),
    ("midtrans.is_production", "perhaps", "true or false"),
    ("reminder_offsets", "soon", "24h"),
    ("timezone", "Mars/Olympus", "IANA zone"),
    ("public_base_url", "http://console.example.com", "https://"),
    ("support_email", "not an address", "support@example.com"),
    ("smtp.from_address", "nope", "not an email address"),
]
UNKNOWN_CHOICE = [
    ("backend", "mysql", "sqlite, supabase"),
    ("meeting_provider", "zoom", "jitsi, google"),
    ("payment_gateway", "stripe", "demo, midtrans"),
    ("email_backend", "sendgrid", "outbox, smtp"),
    ("attach_ics", "sometimes", "auto, true, false"),
    ("email_language", "fr", "id, en"),
    ("smtp.security", "tls", "starttls, ssl, none"),
]


@pytest.mark.parametrize(("setting", "value", "words"), WRONG_KIND + UNKNOWN_CHOICE,
                         ids=[f"{s}={v}" for s, v, _ in WRONG_KIND + UNKNOWN_CHOICE])
def test_a_value_of_the_wrong_kind_or_an_unknown_choice_is_refused_naming_the_setting(tmp_path, setting, value,
                                                                                         words):
    from_file = _refusal(tmp_path, file=_toml(setting, value))
    for message in (from_file, _refusal(tmp_path, env={_env(setting): str(value)})):
        assert f"`{setting}`" in message and words in message


def test_text_written_as_a_number_in_the_file_is_refused_naming_the_setting(tmp_path):
    assert _refusal(tmp_path, file="sqlite_path = 5\n") == "Setting `sqlite_path` must be text; got 5."


def test_a_table_written_as_a_value_is_refused_in_words(tmp_path):
    assert "`google` must be a table: write it as [google]" in _refusal(tmp_path, file='google = "primary"\n')


# -- reading once -------------------------------------------------------------------------------------

def test_the_process_reads_its_settings_once(tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("link_attempts = 4\n", encoding="utf-8")
    monkeypatch.setenv("CALLEXPERT_SECRETS_FILE", str(secrets))
    monkeypatch.setenv("CALLEXPERT_LINK_CONCURRENCY", "5")
    first = current_settings()
    assert (first.link_attempts, first.link_concurrency) == (4, 5)
    secrets.write_text("link_attempts = 6\n", encoding="utf-8")
    monkeypatch.setenv("CALLEXPERT_LINK_CONCURRENCY", "7")
    assert current_settings() is first  # neither source is read again
    current_settings.cache_clear()  # as a new process would
    again = current_settings()
    assert (again.link_attempts, again.link_concurrency) == (6, 7)


def test_a_refused_reading_is_not_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLEXPERT_SECRETS_FILE", str(tmp_path / "none.toml"))
    monkeypatch.setenv("CALLEXPERT_LINK_ATTEMPTS", "0")
    with pytest.raises(ConfigError, match="`link_attempts`"):
        current_settings()
    monkeypatch.setenv("CALLEXPERT_LINK_ATTEMPTS", "2")
    assert current_settings().link_attempts == 2


def test_building_settings_by_keyword_reads_neither_the_environment_nor_the_file(tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("link_attempts = 8\n[google]\ntimeout_seconds = 3\n", encoding="utf-8")
    monkeypatch.setenv("CALLEXPERT_SECRETS_FILE", str(secrets))
    monkeypatch.setenv("CALLEXPERT_LINK_ATTEMPTS", "9")
    monkeypatch.setenv("CALLEXPERT_GOOGLE_TIMEOUT_SECONDS", "4")
    assert Settings() == Settings(link_attempts=3) and Settings(backend="sqlite").link_attempts == 3
    assert GoogleSettings().timeout_seconds == 15.0 and Settings().google == GoogleSettings()
    assert load_settings().link_attempts == 9 and load_settings().google.timeout_seconds == 4  # the loader does


# -- the example file, names, copies ------------------------------------------------------------------

def test_the_example_secrets_file_loads_every_block(monkeypatch):
    settings = load_settings(ROOT / ".streamlit" / "secrets.toml.example", environ={})
    assert settings.sign_in  # its [auth] table
    assert settings.ops_email_list == ("ops.lead@callexpert.id", "support@callexpert.id")
    assert settings.google.requests_at_once == 5 and settings.smtp.host == "smtp.your-provider.example"
    assert settings.midtrans.server_key.get_secret_value() == "SB-Mid-server-replace-me"
    assert "replace-me" not in repr(settings) and "app-password" not in repr(settings)


def test_names_a_setting_does_not_know_are_passed_over_in_the_sources_but_refused_by_keyword(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('favourite_colour = "blue"\n[smtp]\nhost = "mail"\nhostname = "typo"\n[connections]\nx = 1\n')
    assert load_settings(secrets, {"CALLEXPERT_SMTP_PASSWD": "x", "CALLEXPERT_COLOUR": "red"}).smtp.host == "mail"
    with pytest.raises(ConfigError, match=r"`link_attemps` is not a setting"):
        Settings(link_attemps=3)
    with pytest.raises(ConfigError, match=r"`smtp.hostname` is not a setting"):
        SmtpSettings(hostname="mail")


def test_a_copy_with_changes_is_checked_and_the_settings_are_frozen():
    settings = Settings()
    changed = settings.with_changes(link_attempts=5, google=settings.google.with_changes(requests_at_once=3))
    assert (changed.link_attempts, changed.google.requests_at_once) == (5, 3)
    assert (settings.link_attempts, settings.google.requests_at_once) == (3, 48)
    with pytest.raises(ConfigError, match=r"Setting `link_attempts` must be at least 1; got 0\."):
        settings.with_changes(link_attempts=0)
    with pytest.raises(ConfigError, match=r"Setting `google.requests_at_once` must be at least 1; got 0\."):
        settings.google.with_changes(requests_at_once=0)
    with pytest.raises(ConfigError, match=r"Setting `google.timeout_seconds` must be more than 0"):
        Settings(google={"timeout_seconds": 0})
    with pytest.raises(ValueError, match="frozen"):
        settings.link_attempts = 4  # type: ignore[misc]
    assert hash(settings) == hash(Settings())


# -- secrets --------------------------------------------------------------------------------------------

def _all_secrets_file(tmp_path: Path) -> Path:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        f'payment_gateway = "midtrans"\nsupabase_service_role_key = "{SECRETS["supabase_service_role_key"]}"\n'
        f"[google]\ncredentials_json = '{SECRETS['google.credentials_json']}'\n"
        f'[smtp]\npassword = "{SECRETS["smtp.password"]}"\n'
        f'[midtrans]\nserver_key = "{SECRETS["midtrans.server_key"]}"\n'
        f'client_key = "{SECRETS["midtrans.client_key"]}"\n',
        encoding="utf-8")
    return secrets


def test_no_secret_is_in_the_repr_or_str_of_the_settings(tmp_path):
    settings = load_settings(_all_secrets_file(tmp_path), environ={})
    shown = " ".join([repr(settings), str(settings), settings.model_dump_json(),
                      *(f"{t!r} {t}" for t in (settings.google, settings.smtp, settings.midtrans))])
    for setting, secret in SECRETS.items():
        table, _, key = setting.rpartition(".")
        assert getattr(getattr(settings, table) if table else settings, key).get_secret_value() == secret
        assert secret not in shown and "0002" not in shown


@pytest.mark.parametrize("setting", sorted(SECRETS))
def test_no_secret_is_in_a_refusal(tmp_path, setting):
    secret = SECRETS[setting]
    secrets = _all_secrets_file(tmp_path)
    text = "link_attempts = 0\n" + secrets.read_text(encoding="utf-8")  # a bad value beside every secret
    for message in (_refusal(tmp_path, file=text), _refusal(tmp_path, env={_env(setting): secret, **{
            _env("link_attempts"): "0"}})):
        assert "`link_attempts`" in message and secret not in message
    table, _, key = setting.rpartition(".")
    as_list = f"[{table}]\n{key} = ['{secret}']\n" if table else f"{key} = ['{secret}']\n"
    wrong_kind = _refusal(tmp_path, file=as_list)  # a secret of the wrong kind: named, never shown
    assert f"Setting `{setting}` must be text." == wrong_kind and secret not in wrong_kind


def test_settings_that_differ_only_in_a_secret_get_their_own_service(tmp_path):
    from pages.ui.run import service_for

    base = Settings(sqlite_path=str(tmp_path / "keys.db"), seed_demo_data=False, payment_gateway="midtrans",
                    midtrans=MidtransSettings(server_key="SB-Mid-server-one", client_key="SB-Mid-client-one"))
    other = base.with_changes(midtrans=base.midtrans.with_changes(server_key="SB-Mid-server-two"))
    assert service_for(base) is service_for(base.with_changes())
    assert service_for(other) is not service_for(base)
