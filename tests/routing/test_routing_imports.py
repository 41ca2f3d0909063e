"""The routing core stays plain Python: no web or database imports, OR-Tools only in the two solver modules
(routes in solver.py, service-circle assignment and siting in coverage_solver.py)."""

import ast
from pathlib import Path

import dispatch.routing

PACKAGE = Path(dispatch.routing.__file__).parent
FORBIDDEN = ("flask", "sqlalchemy", "flask_sqlalchemy", "werkzeug", "jinja2")


def imports_of(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            yield node.module or "", node.level


def test_the_package_has_modules_to_scan():
    assert len(list(PACKAGE.glob("*.py"))) >= 6


def test_no_web_database_or_app_imports():
    for path in PACKAGE.glob("*.py"):
        for name, level in imports_of(path):
            top = name.split(".")[0]
            assert top not in FORBIDDEN, f"{path.name} imports {name}"
            if level == 0 and top == "dispatch":
                assert name.startswith("dispatch.routing"), f"{path.name} imports {name}"
            if level >= 2:
                raise AssertionError(f"{path.name} reaches above dispatch.routing with a relative import")


def test_only_solver_imports_ortools():
    users = {path.name for path in PACKAGE.glob("*.py")
             for name, _ in imports_of(path) if name.split(".")[0] == "ortools"}
    assert users == {"solver.py", "coverage_solver.py"}
