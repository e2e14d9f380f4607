"""What operators rely on stays true: the README documents every variable the settings read,
requirements.lock pins what pyproject.toml asks for, and make reinstalls when the lock
changes."""

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
ENV_READ = re.compile(r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]+)["']""")


def readme_variables() -> set[str]:
    readme = (BASE_DIR / "README.md").read_text()
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", readme, re.M))


def test_the_readme_documents_every_variable_the_settings_read():
    read = set()
    for module in (BASE_DIR / "kam" / "settings").glob("*.py"):
        read |= set(ENV_READ.findall(module.read_text()))

    assert read, "no env() calls found: the pattern no longer matches the settings"
    assert read - readme_variables() == set()


def test_the_readme_documents_every_variable_of_the_example_environment_file():
    example = (BASE_DIR / "deploy" / "kam.env.example").read_text()
    names = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", example, re.M))

    assert "DJANGO_SECRET_KEY" in names
    assert names - readme_variables() == set()


def locked() -> dict[str, str]:
    lines = (BASE_DIR / "requirements.lock").read_text().splitlines()
    pins = [line.split("==") for line in lines if line and not line.startswith("#")]
    return {normalise(name): version for name, version in pins}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_lock_pins_every_dependency_at_the_version_pyproject_asks_for():
    """A pin that differs makes `pip install -c requirements.lock` fail; a missing one installs
    unpinned. Either way: run `make lock`."""
    project = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    lock = locked()

    for requirement in wanted:
        name, version = re.fullmatch(
            r"([A-Za-z0-9_.-]+)(?:\[[^]]+\])?==(\S+)", requirement
        ).groups()
        assert lock.get(normalise(name)) == version, f"{requirement} in requirements.lock"


def stamp(directory: Path) -> str:
    result = subprocess.run(
        ["make", "-s", "--eval", "print-stamp: ; @echo $(STAMP)", "print-stamp"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_make_reinstalls_when_the_lock_changes(tmp_path):
    for name in ("Makefile", "pyproject.toml", "requirements.lock"):
        shutil.copy(BASE_DIR / name, tmp_path / name)
    before = stamp(tmp_path)

    with (tmp_path / "requirements.lock").open("a") as lock:
        lock.write("example-package==1.0\n")

    assert before.startswith(".venv/.installed-")
    assert stamp(tmp_path) != before


def test_make_installs_with_the_lock_as_constraints(tmp_path):
    for name in ("Makefile", "pyproject.toml", "requirements.lock"):
        shutil.copy(BASE_DIR / name, tmp_path / name)

    result = subprocess.run(
        ["make", "-n", stamp(tmp_path)], cwd=tmp_path, capture_output=True, text=True, timeout=30
    )

    assert result.returncode == 0, result.stderr
    assert '-m pip install --quiet -c requirements.lock -e ".[dev]"' in result.stdout
