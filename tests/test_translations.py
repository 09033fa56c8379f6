"""The UI speaks Simplified Chinese: no user-facing string may be left untranslated."""

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
SOURCES = ["config", "inventory", "counting", "alerts", "clearance", "templates", "manage.py"]

needs_gettext = pytest.mark.skipif(
    shutil.which("xgettext") is None or shutil.which("msgattrib") is None,
    reason="needs GNU gettext (apt-get install gettext) to extract strings",
)


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text)


def _entries(po_text: str) -> dict[str, str]:
    """msgid -> msgstr for the singular entries of a .po file (enough for these checks)."""
    entries = {}
    pattern = r'^(?:msgctxt "(.*)"\n)?msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)'
    for match in re.finditer(pattern, po_text, re.M):
        msgid = _unescape("".join(re.findall(r'"(.*)"', match.group(2))))
        msgstr = _unescape("".join(re.findall(r'"(.*)"', match.group(3))))
        if msgid:
            key = f"{match.group(1)}\x04{msgid}" if match.group(1) else msgid
            entries[key] = msgstr
    return entries


@needs_gettext
def test_every_string_in_the_code_has_a_chinese_translation(tmp_path):
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, tmp_path / name)
    shutil.copytree(ROOT / "locale", tmp_path / "locale")
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-location",
            "--no-obsolete",
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"},
    )
    fresh = tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    untranslated = subprocess.run(
        ["msgattrib", "--untranslated", "--no-obsolete", str(fresh)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    fuzzy = subprocess.run(
        ["msgattrib", "--only-fuzzy", "--no-obsolete", str(fresh)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    missing = sorted(_entries(untranslated)) + sorted(_entries(fuzzy))
    assert missing == [], f"{len(missing)} string(s) need a zh_Hans translation: {missing[:20]}"


def test_compiled_catalog_matches_the_po_file():
    catalog = gettext.GNUTranslations(MO.open("rb"))
    entries = _entries(PO.read_text(encoding="utf-8"))
    stale = [
        msgid for msgid, msgstr in entries.items() if msgstr and catalog.gettext(msgid) != msgstr
    ]
    assert stale == [], f"compile the messages (make messages): {stale[:10]}"
