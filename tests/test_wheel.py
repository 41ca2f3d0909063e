"""A built wheel carries the templates, migrations, static files and translations, and serves pages.

The checkout keeps ``templates/`` and ``migrations/`` beside the package; the
wheel must carry them inside it (hatch ``force-include``). The wheel is built
once, installed into a folder of its own and exercised in a subprocess whose
path holds that folder and not the checkout.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)]
    if importlib.util.find_spec("hatchling") is not None:
        command.insert(5, "--no-build-isolation")  # else pip fetches hatchling into an isolated env
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = out.glob("doorstep-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_carries_templates_migrations_and_static_files(wheel_names):
    for name in ("dispatch/templates/base.html", "dispatch/templates/security/login_user.html",
                 "dispatch/migrations/env.py", "dispatch/migrations/alembic.ini",
                 "dispatch/migrations/script.py.mako", "dispatch/static/doorstep.css"):
        assert name in wheel_names, name
    revisions = {n for n in wheel_names if n.startswith("dispatch/migrations/versions/") and n.endswith(".py")}
    in_checkout = {f"dispatch/migrations/versions/{p.name}" for p in (ROOT / "migrations" / "versions").glob("*.py")}
    assert revisions and revisions == in_checkout
    templates = {f"dispatch/templates/{p.relative_to(ROOT / 'templates').as_posix()}"
                 for p in (ROOT / "templates").rglob("*.html")}
    assert templates <= wheel_names, sorted(templates - wheel_names)


def test_the_wheel_carries_the_translations(wheel_names):
    folder = ROOT / "dispatch" / "translations"
    files = {f"dispatch/translations/{p.relative_to(folder).as_posix()}"
             for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert files <= wheel_names, sorted(files - wheel_names)
    # A catalog only counts compiled: every .po needs its .mo beside it in the wheel.
    for po in (n for n in files if n.endswith(".po")):
        assert po[:-3] + ".mo" in wheel_names, f"{po} is not compiled into the wheel"


SMOKE = textwrap.dedent("""
    import json, sys
    import dispatch
    from dispatch import create_app
    from dispatch.extensions import db
    from flask_migrate import upgrade
    import sqlalchemy as sa

    data = sys.argv[1]
    app = create_app({"DATA_DIR": data, "SECRET_KEY": "wheel-test", "TESTING": True,
                      "DATABASE_URL": f"sqlite:///{data}/doorstep.sqlite3"})
    with app.app_context():
        upgrade()
        tables = sa.inspect(db.engine).get_table_names()
    client = app.test_client()
    pages = {}
    for path in ("/", "/login", "/static/doorstep.css"):
        response = client.get(path)
        pages[path] = [response.status_code, response.get_data(as_text=True)]
    print(json.dumps({"file": dispatch.__file__, "template_folder": app.template_folder,
                      "tables": tables, "pages": pages}))
""")


def test_an_installed_wheel_migrates_a_database_and_serves_pages(wheel: Path, tmp_path: Path):
    site = tmp_path / "site"
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    data = tmp_path / "data"
    data.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISPATCH_") and k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    result = subprocess.run([sys.executable, "-c", SMOKE, str(data)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])

    # The installed copy ran, not the checkout.
    assert Path(report["file"]).resolve().is_relative_to(site.resolve()), report["file"]
    assert Path(report["template_folder"]).resolve().is_relative_to(site.resolve())
    assert {"alembic_version", "user", "senior", "meal_site", "plan", "stop"} <= set(report["tables"]), report["tables"]
    for path in ("/", "/login"):
        status, body = report["pages"][path]
        assert status == 200, (path, body[:500])
        assert "Doorstep" in body
    assert report["pages"]["/login"][1].count('name="password"') == 1
    status, css = report["pages"]["/static/doorstep.css"]
    assert status == 200 and ".site-header" in css
