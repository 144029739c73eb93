"""Wheel smoke (CI step): a wheel built from the tracked files serves the demo from anywhere.

The wheel is built from a copy of the tracked files (so a file missing from git or from
``package-data`` fails here), installed into a fresh venv under ``tmp_path`` with ``--no-deps``
(its dependencies come from this venv's site-packages through a ``.pth`` line: nothing is
downloaded), and ``collector serve`` runs with its working directory outside the checkout.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.conftest import REPO, web_event
from tests.server import free_port

pytestmark = pytest.mark.slow


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _tracked_copy(target: Path) -> Path:
    files = _run("git", "ls-files", "-z", cwd=REPO).split("\0")
    for name in filter(None, files):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` directory of a fresh venv holding only the wheel."""
    root = tmp_path_factory.mktemp("wheel")
    source = _tracked_copy(root / "src")
    dist = root / "dist"
    _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
        "--quiet", "--wheel-dir", dist, source, cwd=root,
    )  # fmt: skip
    (wheel,) = dist.glob("xdm_collector-*.whl")
    venv = root / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=root)
    python = venv / "bin" / "python"
    purelib = _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=root)
    # Dependencies only: this venv's site-packages, after the wheel's own files.
    Path(purelib.strip(), "zz_dependencies.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n"
    )
    _run(
        sys.executable, "-m", "pip", "--python", python, "install", "--no-deps",
        "--no-index", "--quiet", wheel, cwd=root,
    )  # fmt: skip
    return venv / "bin"


@pytest.fixture(scope="module")
def server(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A served wheel: its base URL and its working directory (``./data`` is its data dir)."""
    cwd = tmp_path_factory.mktemp("elsewhere")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLECTOR_")}
    env["COLLECTOR_RUN_PROJECTOR"] = "false"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (cwd / "server.log").open("wb")
    proc = subprocess.Popen(
        [installed / "collector", "serve", "--demo", "--host", "127.0.0.1", "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (cwd / "server.log").read_text()
            assert time.monotonic() < deadline, (cwd / "server.log").read_text()
            try:
                with urllib.request.urlopen(base + "/health", timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        yield base, cwd
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def test_the_installed_package_is_the_wheel(installed: Path) -> None:
    code = (
        "import collector; from collector.control.settings import Settings; s = Settings();"
        "print(collector.__file__); print(s.schemas_dir); print(s.static_dir);"
        "print(s.tag_extension_dir)"
    )
    lines = _run(installed / "python", "-c", code, cwd=installed).split()
    venv = installed.parent.resolve()
    for line in lines:
        assert Path(line).resolve().is_relative_to(venv), line
        assert not Path(line).resolve().is_relative_to(REPO), line


def test_serves_the_demo_page_its_tag_and_ingests(
    installed: Path, server: tuple[str, Path]
) -> None:
    base, cwd = server
    status, page = _get(base + "/")
    assert status == 200 and b"<script" in page
    status, css = _get(base + "/static/demo/demo.css")
    assert status == 200 and css

    (prop,) = orjson.loads(_run(installed / "collector", "properties", "list", "--json", cwd=cwd))
    (inlet,) = orjson.loads(_run(installed / "collector", "inlets", "list", "--json", cwd=cwd))
    status, library = _get(f"{base}/tags/{prop['id']}/production.js")
    assert status == 200 and inlet["id"].encode() in library

    request = urllib.request.Request(
        f"{base}/collection/{inlet['id']}",
        data=orjson.dumps(web_event()),
        headers={"content-type": "application/json"},
        method="POST",
    )
    try:
        status, body = _get_request(request)
    except urllib.error.HTTPError as exc:  # pragma: no cover - the assertion shows the body
        raise AssertionError(exc.read().decode()) from None
    assert status == 200, body
    assert [p for p in (cwd / "data" / "lake").rglob("*") if p.is_file() and p.stat().st_size]


def _get_request(request: urllib.request.Request) -> tuple[int, bytes]:
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def test_every_package_directory_is_listed_in_pyproject() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "collector").rglob("__init__.py")
    }
    assert on_disk <= listed, f"add to [tool.setuptools] packages: {sorted(on_disk - listed)}"
    for package, folder in config["package-dir"].items():
        assert package in listed and (REPO / folder / "__init__.py").is_file()
