"""The pages' scripts are translated: every text a script passes to gettext has its Simplified Chinese in
the djangojs catalogue, and no script hides its texts from makemessages behind another name (a `t(…)`
wrapper's texts were dropped from the catalogue as obsolete, and showed in English)."""

import gettext
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted(p for folder in ("js", "video") for p in (ROOT / "static" / folder).glob("*.js"))
CALL = re.compile(r"""(?<![\w.$])gettext\(\s*"((?:[^"\\]|\\.)*)"\s*\)""")
ALIAS = re.compile(r"""const\s+(\w+)\s*=\s*\(?\w*\)?\s*=>\s*\(?\s*window\.gettext""")


def _catalogue():
    return gettext.translation("djangojs", localedir=ROOT / "locale", languages=["zh_Hans"])


def test_every_script_text_has_its_chinese():
    catalogue = _catalogue()
    missing = []
    for script in SCRIPTS:
        for text in CALL.findall(script.read_text(encoding="utf-8")):
            text = text.encode().decode("unicode_escape") if "\\" in text else text
            if catalogue.gettext(text) == text:
                missing.append(f"{script.relative_to(ROOT)}: {text}")
    assert SCRIPTS and not missing, missing


def test_no_script_translates_under_another_name():
    aliases = [
        f"{script.relative_to(ROOT)}: {name}"
        for script in SCRIPTS
        for name in ALIAS.findall(script.read_text(encoding="utf-8"))
        if name != "gettext"
    ]
    assert not aliases, aliases
