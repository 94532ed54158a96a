"""Fixtures of the paper channel's tests: a runtime with the plugin and staff users (admin
"siân", reviewer "morag", viewer "iolo"), a sign-in helper, and a helper that prints forms,
rasterises them (pypdfium2), draws marks and writes scan files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

BENCH_TOML = """\
id = "omr-test"
version = "1"
title = "Ŵyn a Ŷd: a reading test"
languages = ["en"]

[[questions]]
name = "q1"
type = "select_one scale"
label = "I can influence decisions affecting my local area."

[[questions]]
name = "q2"
type = "select_one scale"
label = "I know where to get help with my rights."

[[questions]]
name = "q3"
type = "select_one scale"
label = "I have been asked my views by a public body."

[choices]
scale = [ { name = "a", label = "Agree" }, { name = "n", label = "Not sure" }, { name = "d", label = "Disagree" } ]
"""


@pytest.fixture
def paper_runtime(rightsaware_settings, sample_instrument, sample_instrument_path, tmp_path):
    """A runtime with the paper plugin, the sample instrument and a small English-only test form."""
    from rightsaware.loading import load_instrument
    from rightsaware.plugins import make_plugin_manager
    from rightsaware.runtime import Runtime

    import rightsaware_paper.plugin as plugin

    pm = make_plugin_manager(entrypoints=False)
    pm.register(plugin, name="paper")
    runtime = Runtime(rightsaware_settings, plugin_manager=pm)
    runtime.instruments.add(sample_instrument, sample_instrument_path)
    extra = tmp_path / "omr-test.toml"
    extra.write_text(BENCH_TOML, encoding="utf-8")
    runtime.instruments.add(load_instrument(extra), extra)
    add_staff(runtime)
    yield runtime
    runtime.close()


PASSWORD = "llwybr tarw glas 42"
STAFF = {"siân": "admin", "morag": "reviewer", "iolo": "viewer"}


def add_staff(runtime: Any) -> None:
    """Staff accounts with a cheap hasher (the sign-in code is the core's, tested there)."""
    import argon2
    from rightsaware.auth import Users

    runtime._auth_users = Users(runtime.store, hasher=argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    for name, role in STAFF.items():
        runtime._auth_users.add(name, PASSWORD, role)


def sign_in(client: Any, username: str, password: str = PASSWORD) -> Any:
    """Sign in through the core's /login form (its own double-submit token); the response."""
    page = client.get("/login", params={"next": "/paper"})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post("/login", data={"csrf_token": token, "username": username, "password": password,
                                           "next": "/paper"}, follow_redirects=False)
    assert response.status_code == 303, f"signing in as {username} failed"
    return response


@pytest.fixture
def service(paper_runtime):
    from rightsaware_paper.service import PaperService

    return PaperService(paper_runtime)


class Forms:
    """Print, rasterise, mark and save pages like a scanner or a phone would."""

    def __init__(self, service: Any, folder: Path) -> None:
        self.service = service
        self.folder = folder
        self.rng = np.random.default_rng(7)
        self.count = 0

    def print(self, instrument: str = "sample", lang: str = "cy+en", copies: int = 1, **options: Any):  # noqa: ANN201
        return self.service.print_forms(instrument, lang, copies=copies, **options)

    def pages(self, forms: Any, dpi: int = 200) -> list[np.ndarray]:
        from rightsaware_paper.synthetic import rasterise

        return rasterise(forms.pdf, dpi)

    def mark(self, image: np.ndarray, forms: Any, page: int, values: dict, dpi: int = 200, kind: str = "filled",
             texts: dict | None = None) -> np.ndarray:
        from rightsaware_paper.synthetic import mark_choices, write_text

        image = image.copy()
        layout_page = forms.layout.page(page)
        mark_choices(image, layout_page, dpi, values, self.rng, kind)
        for name, text in (texts or {}).items():
            write_text(image, layout_page, dpi, name, text)
        return image

    def save(self, image: np.ndarray, suffix: str = ".png", quality: int = 85) -> Path:
        self.count += 1
        path = self.folder / f"scan-{self.count:03d}{suffix}"
        params = [cv2.IMWRITE_JPEG_QUALITY, quality] if suffix in (".jpg", ".jpeg") else []
        cv2.imwrite(str(path), image, params)
        return path

    def scan(self, *paths: Path, **options: Any):  # noqa: ANN201
        from rightsaware_paper.scanning import Scanner

        return Scanner(self.service, **options).scan(list(paths), "test batch")

    def response(self, serial: str):  # noqa: ANN201
        sheet = self.service.sheet(serial)
        assert sheet is not None and sheet["response_id"], f"no response for sheet {serial}"
        return self.service.runtime.store.load_response(sheet["response_id"])

    def values(self, serial: str) -> dict:
        return {name: answer.value for name, answer in self.response(serial).answers.items()}


@pytest.fixture
def forms(service, tmp_path) -> Forms:
    folder = tmp_path / "scans"
    folder.mkdir()
    return Forms(service, folder)


@pytest.fixture
def sign_in_as():
    """``sign_in_as(client, "morag")``: sign a test client in as one of the staff."""
    return sign_in


@pytest.fixture
def staff_password() -> str:
    return PASSWORD
