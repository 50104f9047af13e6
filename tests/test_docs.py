"""The README and docs/ name only what exists: commands, settings, files and links.

Docs drift quietly when a command or setting is renamed; these checks read the Markdown and
compare it with the real CLI parser, the real settings classes and the files in the repository.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from lib.config import GoogleSettings, MidtransSettings, Settings, SmtpSettings, load_settings
from tests import screenshots

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TABLES = {"GOOGLE": GoogleSettings, "SMTP": SmtpSettings, "MIDTRANS": MidtransSettings}
# Environment variables the tests themselves read, and the one that picks the secrets file.
OTHER_ENV = {"CALLEXPERT_SECRETS_FILE", "CALLEXPERT_TEST_PG_DSN", "CALLEXPERT_CHAOS_SEED",
             "CALLEXPERT_PROPERTY_EXAMPLES"}


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _fields(cls: type[BaseModel]) -> set[str]:
    return set(cls.model_fields)


def _cli_commands() -> set[str]:
    """The subcommands `python -m lib --help` lists, read from its usage line."""
    out = subprocess.run([sys.executable, "-m", "lib", "--help"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    usage = re.search(r"\{([a-z,-]+)\}", out)
    if usage:
        return set(usage.group(1).split(","))
    return set(re.findall(r"^ {4}([a-z][a-z-]+)", out, flags=re.M))


def test_readme_stays_short():
    size = len((ROOT / "README.md").read_bytes())
    assert size < 12 * 1024, f"README.md is {size} bytes; move detail into docs/"


def test_every_lib_command_in_the_docs_exists():
    commands = _cli_commands()
    assert {"retry-links", "send-emails", "payment-notification"} <= commands  # the help was read
    for path in DOCS:
        for name in re.findall(r"python -m lib ([a-z][a-z-]*)", _text(path)):
            assert name in commands, f"{path.name}: `python -m lib {name}` is not a command"


def test_every_make_target_in_the_docs_exists():
    makefile = _text(ROOT / "Makefile")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.M))
    for path in DOCS:
        for name in re.findall(r"`make ([a-z][a-z-]*)", _text(path)):
            assert name in targets, f"{path.name}: `make {name}` is not a Makefile target"


def test_every_environment_variable_in_the_docs_is_a_setting():
    top = _fields(Settings)
    for path in DOCS:
        for var in re.findall(r"CALLEXPERT_[A-Z0-9_]+(?![A-Z0-9_<])", _text(path)):
            if var in OTHER_ENV:
                continue
            key = var.removeprefix("CALLEXPERT_")
            table = key.split("_", 1)[0]
            if table in TABLES and key.split("_", 1)[1].lower() in _fields(TABLES[table]):
                continue
            assert key.lower() in top, f"{path.name}: {var} is not a setting"


def _first_cell_names(path: Path) -> list[str]:
    """Setting names in the first cell of each table row (`name`, possibly several)."""
    names = []
    for line in _text(path).splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            first = line.split("|")[1]
            names += re.findall(r"`([a-z][a-z_]*)`", first)
    return names


@pytest.mark.parametrize("name", ["settings.md", "google.md", "email.md", "midtrans.md"])
def test_every_setting_in_a_settings_table_exists(name):
    known = _fields(Settings) | _fields(GoogleSettings) | _fields(SmtpSettings) | _fields(MidtransSettings)
    names = _first_cell_names(ROOT / "docs" / name)
    assert names, f"no settings table found in {name}"
    for setting in names:
        assert setting in known, f"{name}: `{setting}` is not a setting"


def test_settings_md_lists_every_top_level_setting():
    listed = set(_first_cell_names(ROOT / "docs" / "settings.md"))
    derived = {"sign_in", "google", "smtp", "midtrans"}  # [auth] decides sign_in; tables are listed apart
    assert _fields(Settings) - derived <= listed


def _anchor(heading: str) -> str:
    """GitHub's id for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_every_relative_link_goes_to_a_file_and_heading_that_exist():
    for path in DOCS:
        for target in re.findall(r"\]\(([^)\s]+)\)", _text(path)):
            if re.match(r"[a-z]+:", target):
                continue  # an outside address
            file_part, _, anchor = target.partition("#")
            dest = (path.parent / file_part).resolve() if file_part else path
            assert dest.exists(), f"{path.name}: link to {target} goes nowhere"
            if anchor:
                headings = re.findall(r"^#+ (.+)$", _text(dest), flags=re.M)
                assert anchor in {_anchor(h) for h in headings}, f"{path.name}: no heading #{anchor} in {dest.name}"


def test_every_picture_the_readme_shows_is_committed_and_taken_by_the_script():
    shown = re.findall(r"!\[[^\]]*\]\((docs/images/[^)\s]+)\)", _text(ROOT / "README.md"))
    assert len(shown) >= 4, "the README shows the console's main screens"
    taken = {name for name, *_ in screenshots.PICTURES}
    for target in shown:
        image = ROOT / target
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{target} is not a committed PNG"
        assert image.name in taken, f"{target} is not taken by tests/screenshots.py, so it cannot be taken again"


# What the comments on `make worker` and the worker's systemd unit call each job.
JOB_WORDS = {"create-links": "links", "queue-reminders": "reminders", "send-emails": "emails",
             "expire-unpaid": "expiry", "check-payments": "payment checks", "complete-sessions": "completion",
             "attendance": "attendance", "calendar-changes": "calendar changes",
             "reconcile-calendar": "reconciliation"}


def _interval_setting(job: object) -> str:
    """The ``worker_*_seconds`` setting that spaces ``job``'s runs (each given its own value)."""
    names = [name for name in Settings.model_fields if re.fullmatch(r"worker_\w+_seconds", name)]
    probe = Settings(**{name: 1000 + i for i, name in enumerate(names)})
    return names[job.interval(probe) - 1000]  # type: ignore[attr-defined]


def test_the_worker_table_has_a_row_per_job_with_its_interval_setting_and_default():
    from lib.entrypoints.worker import JOBS

    text = _text(ROOT / "docs" / "operations.md")
    rows = dict(re.findall(r"^\| `([a-z-]+)` \| .+ \| (`worker_\w+_seconds` \(\d+ s\)) \|$", text, flags=re.M))
    for job in JOBS:
        setting = _interval_setting(job)
        assert rows.get(job.name) == f"`{setting}` ({getattr(Settings(), setting)} s)", \
            f"operations.md: the worker table's row for `{job.name}`"


def test_the_worker_comments_name_every_job():
    from lib.entrypoints.worker import JOBS

    assert sorted(JOB_WORDS) == sorted(j.name for j in JOBS)  # a new job needs its word here and there
    makefile = re.search(r"((?:^## .*\n)+)worker:", _text(ROOT / "Makefile"), flags=re.M)
    unit = _text(ROOT / "docs" / "systemd" / "callexpert-worker.service").split("[Unit]")[0]
    assert makefile
    for name, word in JOB_WORDS.items():
        assert word in makefile.group(1), f"the comment on `make worker` does not mention {name}"
        assert word in unit, f"the worker unit's comment does not mention {name}"


def _toml_blocks() -> list[tuple[str, str]]:
    """Every ```toml block of the README and docs/ (indented ones inside lists too): (where, text)."""
    blocks = []
    for path in DOCS:
        text = _text(path)
        for match in re.finditer(r"^( *)```toml\n(.*?)^\1```$", text, flags=re.M | re.S):
            line = text[:match.start()].count("\n") + 1
            blocks.append((f"{path.name}:{line}", textwrap.dedent(match.group(2))))
    return blocks


TOML_BLOCKS = _toml_blocks()


def test_the_docs_show_settings_blocks():
    assert len(TOML_BLOCKS) >= 8, [where for where, _ in TOML_BLOCKS]  # the blocks were found


@pytest.mark.parametrize(("where", "block"), TOML_BLOCKS, ids=[where for where, _ in TOML_BLOCKS])
def test_every_settings_block_in_the_docs_loads_and_names_only_real_settings(where, block, tmp_path):
    """Each block, as the secrets file it shows, through the console's own loader and its checks; and
    every key in it is a setting (the loader passes over names it does not know)."""
    data = tomllib.loads(block)
    tables = {name.lower(): cls for name, cls in TABLES.items()}
    for key, value in data.items():
        if key == "auth":  # Streamlit's own sign-in table; its presence turns sign-in on
            continue
        if key in tables:
            unknown = set(value) - _fields(tables[key])
            assert not unknown, f"{where}: [{key}] has no setting {sorted(unknown)}"
        else:
            assert key in _fields(Settings), f"{where}: `{key}` is not a setting"
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(block, encoding="utf-8")
    settings = load_settings(secrets, environ={})  # raises ConfigError, naming the setting, if refused
    assert settings.sign_in is ("auth" in data)
