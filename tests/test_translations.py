"""Doorstep's Chinese catalog is complete, consistent and compiled, and the app uses it.

A developer who adds a user-facing string without translating it gets a failing
test naming the strings. To fix it, run the commands in README's "Translations"
section (extract, update, translate the new entries in the .po, compile).
"""
from __future__ import annotations

import io
import re
from gettext import GNUTranslations

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext, lazy_gettext

from dispatch.paths import PACKAGE_DIR

ROOT = PACKAGE_DIR.parent
TRANSLATIONS = PACKAGE_DIR / "translations"
LOCALE = "zh_Hans_CN"
PO = TRANSLATIONS / LOCALE / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS / LOCALE / "LC_MESSAGES" / "messages.mo"
README = ROOT / "README.md"

CJK = re.compile(r"[\u4e00-\u9fff]")
# %(name)s, %s, %d, %% and str.format's {name}
PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]|%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]|\{[A-Za-z_][A-Za-z0-9_]*\}")

WELCOME_EN = "Meals and home care, to the door"
LOG_IN_EN = "Log in"


def _readme_extract_command() -> list[str]:
    """The ``pybabel extract`` line of README, so the test and the docs can't drift apart."""
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("pybabel extract "):
            return line.split()
    raise AssertionError("README.md has no `pybabel extract` command")


def _load_po():
    with PO.open("rb") as f:
        return read_po(f, locale=LOCALE)


def _text(message_id) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


@pytest.fixture(scope="module")
def catalog():
    assert PO.is_file(), f"missing {PO.relative_to(ROOT)}; see README's Translations section"
    return _load_po()


@pytest.fixture(scope="module")
def fresh_template(tmp_path_factory):
    """Extract the sources now, with README's command (writing to a temporary .pot)."""
    argv = _readme_extract_command()
    out = tmp_path_factory.mktemp("pot") / "messages.pot"
    argv[argv.index("-o") + 1] = str(out)
    argv[-1] = str(ROOT)
    mapping = argv.index("-F") + 1
    argv[mapping] = str(ROOT / argv[mapping])
    CommandLineInterface().run([argv[0], "--quiet", *argv[1:]])
    with out.open("rb") as f:
        return read_po(f)


def test_readme_extraction_knows_every_lazy_and_plural_keyword():
    argv = _readme_extract_command()
    keywords = {argv[i + 1].split(":")[0] for i, a in enumerate(argv) if a == "-k"} | set(DEFAULT_KEYWORDS)
    for name in ("_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext", "pgettext", "lazy_pgettext"):
        assert name in keywords, f"README's pybabel extract misses -k {name}"


def test_every_extracted_string_is_in_the_chinese_catalog(fresh_template, catalog):
    missing = [m.id for m in fresh_template if m.id and (m.id, m.context) not in
               {(c.id, c.context) for c in catalog if c.id}]
    assert len([m for m in fresh_template if m.id]) > 100, "extraction found almost nothing"
    assert not missing, (
        f"{len(missing)} string(s) not in {PO.relative_to(ROOT)} (run README's extract/update, "
        f"translate, compile): {missing}"
    )


def test_every_catalog_entry_is_translated(catalog):
    untranslated = [m.id for m in catalog if m.id and (
        "fuzzy" in m.flags
        or not (m.string if isinstance(m.string, str) else all(m.string))
    )]
    assert not untranslated, f"{len(untranslated)} untranslated or fuzzy entries: {untranslated}"
    assert not catalog.fuzzy, "the catalog header is marked fuzzy"


def test_catalog_is_for_chinese_with_one_plural_form(catalog):
    assert str(catalog.locale) == LOCALE
    assert catalog.num_plurals == 1


def test_placeholders_are_kept_in_every_translation(catalog):
    wrong = []
    for m in catalog:
        if not m.id:
            continue
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        expected = set().union(*(set(PLACEHOLDER.findall(i)) for i in ids))
        for s in strings:
            if set(PLACEHOLDER.findall(s)) != expected:
                wrong.append((m.id, s))
    assert not wrong, f"placeholders differ between msgid and msgstr: {wrong}"


def test_html_in_msgids_is_kept(catalog):
    tag = re.compile(r"</?[a-zA-Z][^>]*>")
    wrong = [(m.id, m.string) for m in catalog if m.id and isinstance(m.id, str)
             and sorted(tag.findall(m.id)) != sorted(tag.findall(m.string))]
    assert not wrong, f"HTML tags differ between msgid and msgstr: {wrong}"


def test_translations_are_chinese(catalog):
    # Brand and product names may stay as they are, and so may strings with no words
    # ("%(done)s / %(total)s"); everything else reads in Chinese.
    kept = {"OpenStreetMap"}
    latin_only = [m.id for m in catalog if m.id and m.id not in kept
                  and re.search(r"[A-Za-z]", PLACEHOLDER.sub("", _text(m.id)))
                  and not CJK.search(_text(m.string))]
    assert not latin_only, f"translations without any Chinese: {latin_only}"


def test_compiled_catalog_matches_the_po(catalog):
    assert MO.is_file(), f"missing {MO.relative_to(ROOT)}: run `pybabel compile -d dispatch/translations`"
    expected = io.BytesIO()
    write_mo(expected, catalog)
    expected.seek(0)
    with MO.open("rb") as f:
        committed = GNUTranslations(f)
    fresh = GNUTranslations(expected)
    stale = sorted(k for k in set(fresh._catalog) | set(committed._catalog)
                   if fresh._catalog.get(k) != committed._catalog.get(k) and k != "")
    assert not stale, f"messages.mo is out of date with messages.po ({len(stale)} differences, e.g. {stale[:5]})"


def test_gettext_uses_the_chinese_catalog(app):
    with app.test_request_context():
        with force_locale(LOCALE):
            assert gettext("Log in") == "登录"
            assert gettext("%(n)s min", n=15) == "15 分钟"
            assert str(lazy_gettext("Volunteer")) == "志愿者"
        with force_locale("en"):
            assert gettext("Log in") == "Log in"


def _h1(html: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert match, "page has no <h1>"
    return match.group(1).strip()


def _submit(html: str) -> str:
    match = re.search(r'<button type="submit"[^>]*>(.*?)</button>', html, re.S)
    assert match, "page has no submit button"
    return match.group(1).strip()


def test_welcome_page_follows_accept_language(client, catalog):
    chinese = catalog.get(WELCOME_EN).string
    page = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _h1(html) == chinese
    assert 'lang="zh-Hans"' in html

    page = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert _h1(page.get_data(as_text=True)) == WELCOME_EN


def test_language_switch_translates_the_login_page(client):
    switched = client.post("/lang/zh_Hans_CN", data={"next": "/login"}, headers={"Accept-Language": "en"})
    assert switched.status_code in (302, 303)
    html = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert _submit(html) == "登录"
    assert "<title>登录" in html

    client.post("/lang/en", data={"next": "/login"}, headers={"Accept-Language": "zh-CN"})
    html = client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert _submit(html) == LOG_IN_EN
    assert not CJK.search(_submit(html))


def test_unknown_language_is_refused(client):
    assert client.post("/lang/xx").status_code == 404


@pytest.mark.parametrize("default, expected", [("en", "Lunch"), ("zh_Hans_CN", "午餐")])
def test_strings_outside_a_request_use_the_sites_default_language(app, default, expected):
    """CLI commands and RQ jobs have no request to read a language from: they use DEFAULT_LANGUAGE, not crash."""
    from flask_babel import refresh

    app.config["DEFAULT_LANGUAGE"] = default
    with app.app_context():
        refresh()
        assert gettext("Lunch") == expected
