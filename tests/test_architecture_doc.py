"""docs/architecture.md names every module of unmt/ and no module that is gone, and its picture draws the imports the
tree has today; docs/tools/architecture.py, which writes both, finds layers, cycles and imports on a package made
here. After moving modules: python docs/tools/architecture.py"""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "tools"))

import architecture  # noqa: E402

REGENERATE = "the doc is stale: run python docs/tools/architecture.py and commit docs/architecture.md"


def drawn_edges(text: str) -> set[tuple[str, str]]:
    return set(re.findall(r"^    (\w+) --> (\w+)$", text, flags=re.M))


def test_the_doc_names_every_module_in_the_tree_and_no_other():
    text = architecture.DOC.read_text(encoding="utf-8")
    tree, named = architecture.in_tree(ROOT / "unmt"), architecture.named_in(text)
    assert tree - named == set(), f"modules missing from the doc: {sorted(tree - named)}; {REGENERATE}"
    assert named - tree == set(), f"the doc names modules no longer in the tree: {sorted(named - tree)}; {REGENERATE}"


def test_the_picture_draws_the_imports_of_the_tree():
    text = architecture.DOC.read_text(encoding="utf-8")
    graph = architecture.dependencies(ROOT / "unmt")
    actual = {(architecture.node(a), architecture.node(b)) for a, b in architecture.reduced(graph)}
    assert drawn_edges(text) == actual, REGENERATE
    assert architecture.main(["--check"]) == 0, REGENERATE


def test_the_doc_describes_the_step_and_where_new_pieces_go():
    text = architecture.DOC.read_text(encoding="utf-8")
    for heading in ("## The layers", "## One training step", "## Where a new piece goes"):
        assert heading in text
    head, rest = text.split(architecture.BEGIN, 1)
    prose = head + rest.split(architecture.END, 1)[1]
    named = re.findall(r"`((?:[a-z_]+/)?[a-z_]+\.py)`", prose)
    assert len(named) > 20  # the step and the guide name the modules they go through
    for module in named:  # under unmt/, or (tests/...) from the repository's root
        assert (ROOT / "unmt" / module).is_file() or (ROOT / module).is_file(), (
            f"docs/architecture.md's prose names {module}, which is not in the tree: update the prose"
        )


def write(package: Path, files: dict[str, str]) -> None:
    for name, body in files.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")


def test_layers_cycles_and_imports_of_a_package_made_here(tmp_path):
    package = tmp_path / "pkg"
    write(package, {
        "__init__.py": "",
        "errors.py": '"""Base errors."""\n',
        "core/__init__.py": "from .loss import f\n",
        "core/loss.py": '"""Pure | losses."""\nfrom pkg.errors import E\n',
        "a/__init__.py": "",
        "a/x.py": "def late():\n    from pkg.b import y\n",  # a function-local import is a dependency too
        "a/z.py": "from ..core import loss\nfrom pkg import errors\n",
        "b/__init__.py": "",
        "b/y.py": "import pkg.a.z\n",
        "cli.py": "from pkg.b.y import thing\nfrom pkg.core.loss import f\n",
    })
    graph = architecture.dependencies(package)
    assert graph == {"pkg.errors": set(), "pkg.core": {"pkg.errors"}, "pkg.a": {"pkg.b", "pkg.core", "pkg.errors"},
                     "pkg.b": {"pkg.a"}, "pkg.cli": {"pkg.b", "pkg.core"}}
    assert architecture.cycles(graph) == [("pkg.a", "pkg.b")]
    assert architecture.layers(graph) == {"pkg.errors": 0, "pkg.core": 1, "pkg.a": 2, "pkg.b": 2, "pkg.cli": 3}
    # a -> errors is implied by a -> core -> errors, and cli -> core by cli -> b -> a -> core; the cycle keeps both ways
    assert architecture.reduced(graph) == {("pkg.core", "pkg.errors"), ("pkg.a", "pkg.core"), ("pkg.a", "pkg.b"),
                                           ("pkg.b", "pkg.a"), ("pkg.cli", "pkg.b")}
    part = architecture.generated(package)
    assert architecture.named_in(part, "pkg") == architecture.in_tree(package) == {
        "pkg/errors.py", "pkg/core/__init__.py", "pkg/core/loss.py", "pkg/a/__init__.py", "pkg/a/x.py", "pkg/a/z.py",
        "pkg/b/__init__.py", "pkg/b/y.py", "pkg/cli.py"}
    assert "| `pkg/core/loss.py` | Pure \\| losses. |" in part  # the docstring's first line, its pipe escaped


def test_check_names_a_new_module_and_the_writer_adds_it(tmp_path):
    package, doc = tmp_path / "pkg", tmp_path / "architecture.md"
    write(package, {"__init__.py": "", "base.py": '"""Base."""\n'})
    doc.write_text(f"# Doc\n\nprose\n\n{architecture.BEGIN}\n{architecture.END}\n\nmore prose\n", encoding="utf-8")
    script = ROOT / "docs" / "tools" / "architecture.py"
    tool = [sys.executable, str(script), "--doc", str(doc), "--package", str(package)]
    subprocess.run(tool, check=True)
    assert subprocess.run([*tool, "--check"]).returncode == 0
    write(package, {"top.py": "from pkg import base\n"})
    stale = subprocess.run([*tool, "--check"], capture_output=True, text=True)
    assert stale.returncode == 1 and "pkg/top.py" in stale.stderr and "Traceback" not in stale.stderr
    subprocess.run(tool, check=True)
    text = doc.read_text(encoding="utf-8")
    assert "pkg/top.py" in text and drawn_edges(text) == {("top", "base")}
    assert text.startswith("# Doc\n\nprose\n\n") and text.endswith("\n\nmore prose\n")  # the prose is left alone
