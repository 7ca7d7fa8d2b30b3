"""The Spanish site says everything the English one does: every message the code and templates
mark is in locale/es/LC_MESSAGES/django.po, translated, and the file holds nothing stale.

After changing the site's words: `make messages`, translate what is new, commit the .po.
"""

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"
# The JavaScript's words (static/js), served by the JavaScript catalogue.
JS_PO = PO.with_name("djangojs.po")
# What `make messages` reads: the apps, the templates and the settings around them.
SOURCES = ["manage.py", "clinic_site", "blog", "appointments", "staff", "templates", "locale"]

pytestmark = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs GNU gettext")


def msgids(po_text):
    """The messages of a .po file (singular and plural), without its header."""
    ids = set()
    for entry in po_text.split("\n\n"):
        lines = [line for line in entry.splitlines() if not line.startswith("#")]
        message = re.match(r'msgid ((?:".*"\n?)+)', "\n".join(lines))
        if message:
            text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', message.group(1)))
            if text:
                ids.add(text)
    return ids


@pytest.mark.parametrize("po", [PO, JS_PO], ids=["django", "djangojs"])
def test_every_message_is_translated_and_none_is_fuzzy(po):
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    # e.g. "212 translated messages." or "210 translated messages, 2 untranslated messages."
    assert re.fullmatch(r"\d+ translated messages?\.", result.stderr.strip()), (
        f"{po.relative_to(ROOT)}: {result.stderr.strip()} (translate them, and clear `fuzzy`)"
    )


def test_the_po_file_holds_what_the_code_says_now(tmp_path):
    # makemessages writes into the tree it reads, so it runs on a copy.
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("*.mo"))
        else:
            shutil.copy(source, tmp_path / name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "es", "--no-location"],
        cwd=tmp_path,
        env=os.environ | {"DJANGO_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "clinic_site.settings"},
        check=True,
        capture_output=True,
    )
    now = msgids((tmp_path / PO.relative_to(ROOT)).read_text())
    committed = msgids(PO.read_text())
    assert not now - committed, f"new messages, run `make messages`: {sorted(now - committed)}"
    assert not committed - now, f"messages no longer used: {sorted(committed - now)}"


def test_the_javascript_po_file_holds_what_the_scripts_say_now(tmp_path):
    for name in [*SOURCES, "static/js"]:
        source, copy = ROOT / name, tmp_path / name
        if source.is_dir():
            shutil.copytree(source, copy, ignore=shutil.ignore_patterns("*.mo"))
        else:
            shutil.copy(source, copy)
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-d",
            "djangojs",
            "-l",
            "es",
            "--no-location",
        ],
        cwd=tmp_path,
        env=os.environ | {"DJANGO_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "clinic_site.settings"},
        check=True,
        capture_output=True,
    )
    now = msgids((tmp_path / JS_PO.relative_to(ROOT)).read_text())
    committed = msgids(JS_PO.read_text())
    assert now == committed, "run `make messages`"
    assert "Sending…" in now


def test_the_release_step_compiles_the_translations_a_fresh_checkout_lacks(tmp_path, settings):
    from clinic_site.management.commands.release import compile_translations

    shutil.copytree(ROOT / "locale", tmp_path / "locale", ignore=shutil.ignore_patterns("*.mo"))
    settings.BASE_DIR = tmp_path
    compile_translations()
    with open(tmp_path / "locale/es/LC_MESSAGES/django.mo", "rb") as mo:
        assert gettext.GNUTranslations(mo).gettext("Request an evaluation") == (
            "Solicitar una evaluación"
        )
