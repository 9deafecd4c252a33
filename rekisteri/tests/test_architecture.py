"""The rules of docs/architecture.md, read from the code's own imports with `ast`.

Each rule is checked on the real code, and once more on a small planted package that
breaks it, so that a rule which stopped finding anything would fail here too. The
imports counted are every `import` in a module, also those inside functions: an
import put off until call time to dodge a cycle is still a dependency. Imports under
`if TYPE_CHECKING:` are left out: they name types for the type checker and never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Modules that serve the web: they read requests and render pages or JSON.
WEB_MODULES = frozenset({"views", "urls", "forms", "api", "webhooks", "middleware"})
# The project's own composition: the root URLconf and the API gather every app's web layer.
COMPOSITION = frozenset({"urls", "api"})
# Where a model may not reach: the layers above it.
ABOVE_MODELS = frozenset({"services", "selectors", "tasks", "sending"})
# The audit trail is the spine under every app: it may lean on the staff accounts (who
# acted) and the project's pure modules, never on the business it records.
AUDIT_MAY_IMPORT = frozenset({"audit", "accounts"})


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.source} imports {self.target} (line {self.line})"


class Code:
    """The modules of one package under a root folder, and who imports whom."""

    def __init__(self, root: Path, package: str) -> None:
        self.package = package
        self.files: dict[str, Path] = {}
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if "migrations" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            self.files[".".join(parts)] = path
        # One entry per import statement and module imported (`from a import b, c` of
        # two names in one module is one dependency).
        self.imports = sorted(
            {found for module in self.files for found in self._imports_of(module)},
            key=lambda found: (found.source, found.line, found.target),
        )

    def _resolve(self, name: str) -> str | None:
        """The module an imported name lives in (`a.b.function` -> `a.b`), or None
        for anything outside the package."""
        while name and name not in self.files:
            name = name.rpartition(".")[0]
        return name or None

    def _imports_of(self, module: str) -> Iterator[Import]:
        tree = ast.parse(self.files[module].read_text(), filename=str(self.files[module]))
        for node in _runtime_nodes(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                target = self._resolve(name)
                if target and target != module:
                    yield Import(module, target, node.lineno)

    def app(self, module: str) -> str:
        """The app a module belongs to; the project's own modules belong to the package."""
        parts = module.split(".")
        if len(parts) > 2 or (self.files[module].name == "__init__.py" and len(parts) == 2):
            return parts[1]
        return self.package

    def layer(self, module: str) -> str:
        parts = module.split(".")
        if "tests" in parts or "testing" in parts:
            return "test"
        if "commands" in parts:
            return "command"
        last = parts[-1]
        if (
            last in WEB_MODULES
            or last.endswith("_views")
            or last.startswith(("urls_", "forms_"))
            or "templatetags" in parts
        ):
            return "web"
        return "core"

    def is_composition(self, module: str) -> bool:
        parts = module.split(".")
        return len(parts) == 2 and parts[1] in COMPOSITION


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of a module except what is under `if TYPE_CHECKING:`."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


# The rules --------------------------------------------------------------------------


def core_imports_web(code: Code) -> list[Import]:
    """Models, services, selectors, tasks and the other core modules never import a
    view, URLconf, form, API, webhook or middleware module: the core must run without
    a request (a command, the worker, a test)."""
    return [
        found
        for found in code.imports
        if code.layer(found.source) == "core" and code.layer(found.target) == "web"
    ]


def models_import_upward(code: Code) -> list[Import]:
    """A model never imports the services, selectors, tasks or sending above it."""
    return [
        found
        for found in code.imports
        if code.layer(found.source) != "test"
        and found.source.rpartition(".")[2] == "models"
        and found.target.rpartition(".")[2] in ABOVE_MODELS
    ]


def apps_import_other_apps_views(code: Code) -> list[Import]:
    """No app imports another app's views or URLconfs; only the root URLconf and the
    API gather them. (A form may be shared: it is a piece of input checking.)"""
    found_imports = []
    for found in code.imports:
        last = found.target.rpartition(".")[2]
        is_page = last == "views" or last.endswith("_views") or last.startswith("urls")
        if (
            is_page
            and code.layer(found.source) != "test"
            and not code.is_composition(found.source)
            and code.app(found.source) != code.app(found.target)
        ):
            found_imports.append(found)
    return found_imports


def audit_imports_the_business(code: Code) -> list[Import]:
    """The audit trail imports only itself, the staff accounts and the project's own
    small modules: every app records into it, so it must not depend on any of them."""
    return [
        found
        for found in code.imports
        if code.app(found.source) == "audit"
        and code.layer(found.source) != "test"
        and code.app(found.target) not in AUDIT_MAY_IMPORT
        and code.app(found.target) != code.package
    ]


def start_pages_imported(code: Code) -> list[Import]:
    """The start pages read every app; no app reads them (only the project's home view
    and URLconf show them)."""
    return [
        found
        for found in code.imports
        if code.app(found.target) == "dashboard"
        and code.app(found.source) not in ("dashboard", code.package)
        and code.layer(found.source) != "test"
    ]


def imports_of_test_modules(code: Code) -> list[Import]:
    """A test module never imports another test module or a conftest: what tests share
    lives in the project's testing package or in a helper module beside them."""
    return [
        found
        for found in code.imports
        if code.layer(found.source) == "test"
        and found.target.rpartition(".")[2].startswith(("test_", "conftest"))
    ]


def cycles(code: Code) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop (tests left
    out). Tarjan's strongly connected components, without recursion."""
    graph: dict[str, set[str]] = {
        module: set() for module in code.files if code.layer(module) != "test"
    }
    for found in code.imports:
        if found.source in graph and found.target in graph:
            graph[found.source].add(found.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
    return groups


RULES = [
    core_imports_web,
    models_import_upward,
    apps_import_other_apps_views,
    audit_imports_the_business,
    start_pages_imported,
    imports_of_test_modules,
]


def _report(found: Iterable[object]) -> str:
    return "\n".join(str(item) for item in found)


# On the real code -------------------------------------------------------------------


@pytest.fixture(scope="module")
def code() -> Code:
    return Code(ROOT, "rekisteri")


def test_the_reader_sees_the_whole_project(code):
    # A reader that found nothing would pass every rule below.
    assert "rekisteri.customers.services" in code.files
    assert "rekisteri.privacy.requests.views" in code.files
    assert code.layer("rekisteri.privacy.requests.views") == "web"
    assert code.layer("rekisteri.customers.services") == "core"
    assert code.app("rekisteri.privacy.breaches.services") == "privacy"
    assert code.app("rekisteri.fi") == "rekisteri"
    assert len(code.imports) > 1000


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_the_code_keeps_the_rule(code, rule):
    assert rule(code) == [], f"{rule.__doc__}\n{_report(rule(code))}"


def test_no_modules_import_each_other(code):
    assert cycles(code) == [], _report(" <-> ".join(group) for group in cycles(code))


# On a planted package that breaks every rule ---------------------------------------

PLANTED = {
    "shop/__init__.py": "",
    "shop/fi.py": "",
    "shop/urls.py": "import shop.orders.urls\n",
    "shop/orders/__init__.py": "",
    "shop/orders/models.py": "from shop.orders.services import order_create\n",
    "shop/orders/services.py": (
        "from shop.fi import x\n\n\ndef order_create():\n    from shop.orders.views import page\n"
    ),
    "shop/orders/selectors.py": "import shop.orders.models\n",
    "shop/orders/views.py": "from shop.orders import services, selectors\n",
    "shop/orders/urls.py": "from shop.orders import views\n",
    "shop/orders/tests/__init__.py": "",
    "shop/orders/tests/conftest.py": "",
    "shop/orders/tests/test_a.py": "from shop.orders.tests.test_b import helper\n",
    "shop/orders/tests/test_b.py": "from shop.orders.tests.conftest import helper\n",
    "shop/audit/__init__.py": "",
    "shop/audit/selectors.py": (
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
        "    from shop.customers.models import Hidden\n"
        "from shop.orders.models import Order\n"
    ),
    "shop/customers/__init__.py": "",
    "shop/customers/models.py": "",
    "shop/customers/views.py": "from shop.orders.views import page\nimport shop.dashboard\n",
    "shop/dashboard/__init__.py": "import shop.orders.selectors\n",
    "shop/views.py": "import shop.dashboard\n",
}


@pytest.fixture
def planted(tmp_path) -> Code:
    for name, text in PLANTED.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return Code(tmp_path, "shop")


def _pairs(found: list[Import]) -> set[tuple[str, str]]:
    return {(item.source, item.target) for item in found}


def test_a_planted_package_breaks_each_rule_where_it_was_planted(planted):
    assert _pairs(core_imports_web(planted)) == {("shop.orders.services", "shop.orders.views")}
    assert _pairs(models_import_upward(planted)) == {("shop.orders.models", "shop.orders.services")}
    # The root URLconf may gather an app's URLs; another app may not reach its views.
    assert _pairs(apps_import_other_apps_views(planted)) == {
        ("shop.customers.views", "shop.orders.views")
    }
    # The import under TYPE_CHECKING is not counted; the one that runs is.
    assert _pairs(audit_imports_the_business(planted)) == {
        ("shop.audit.selectors", "shop.orders.models")
    }
    assert _pairs(start_pages_imported(planted)) == {("shop.customers.views", "shop.dashboard")}
    assert _pairs(imports_of_test_modules(planted)) == {
        ("shop.orders.tests.test_a", "shop.orders.tests.test_b"),
        ("shop.orders.tests.test_b", "shop.orders.tests.conftest"),
    }


def test_a_planted_cycle_is_found_even_through_an_import_inside_a_function(planted):
    # models -> services -> (inside a function) views -> services, selectors -> models
    assert cycles(planted) == [
        [
            "shop.orders.models",
            "shop.orders.selectors",
            "shop.orders.services",
            "shop.orders.views",
        ]
    ]


def test_a_clean_package_breaks_no_rule(planted, tmp_path):
    for name in (
        "shop/orders/models.py",
        "shop/orders/services.py",
        "shop/audit/selectors.py",
        "shop/customers/views.py",
        "shop/orders/tests/test_a.py",
        "shop/orders/tests/test_b.py",
    ):
        (tmp_path / name).write_text("")
    clean = Code(tmp_path, "shop")
    assert [rule(clean) for rule in RULES] == [[] for _ in RULES]
    assert cycles(clean) == []
