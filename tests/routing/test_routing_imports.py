"""The routing core stays plain Python: no web or database imports, OR-Tools only in the two model modules
(routes in ortools_model.py, service-circle assignment and siting in coverage_solver.py)."""

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


def modules():
    """Every module of the routing core, subpackages included."""
    return sorted(PACKAGE.rglob("*.py"))


def test_the_package_has_modules_to_scan():
    assert len(modules()) >= 6
    assert PACKAGE / "benchmarks" / "vrptw.py" in modules()


def test_no_web_database_or_app_imports():
    for path in modules():
        depth = len(path.relative_to(PACKAGE).parts) - 1  # 0 for dispatch/routing/x.py
        for name, level in imports_of(path):
            top = name.split(".")[0]
            assert top not in FORBIDDEN, f"{path.name} imports {name}"
            if level == 0 and top == "dispatch":
                assert name.startswith("dispatch.routing"), f"{path.name} imports {name}"
            if level >= 2 + depth:
                raise AssertionError(f"{path.name} reaches above dispatch.routing with a relative import")


def test_no_private_names_imported_across_modules():
    for path in modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                private = [a.name for a in node.names if a.name.startswith("_") and a.name != "__future__"]
                assert not private, f"{path.name} imports {private} from {node.module}"


def test_only_solver_imports_ortools():
    users = {path.relative_to(PACKAGE).as_posix() for path in modules()
             for name, _ in imports_of(path) if name.split(".")[0] == "ortools"}
    assert users == {"ortools_model.py", "coverage_solver.py"}
