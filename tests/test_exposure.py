"""Exposure (issue 6, item 6): loopback by default, a warning elsewhere, a login when asked."""

from __future__ import annotations

import base64
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client

import app
from index.layout import open_stores
from qa.cli import main
from qa.config import Settings
from qa.errors import ConfigError
from qa.exposure import basic_auth_ok, exposure_warning, is_loopback, parse_auth
from qa.indexing import run_index
from qa.server import bind
from qa.service import QAService
from tests.apps import CORPUS
from tests.conftest import write_corpus
from tests.fakes import FakeEmbedder

USER, PASSWORD = "ann", "s3cret:x"


class Stop(Exception):
    """Raised by a patched `bind` so that `serve` stops before listening."""


def test_default_bind_is_loopback() -> None:
    settings = Settings.load({})
    assert settings.host == "127.0.0.1"
    sock = bind(settings.host, 0)
    try:
        assert sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.1.1", "::1", "[::1]", "localhost"])
def test_loopback_hosts_need_no_warning(host: str) -> None:
    assert is_loopback(host)
    assert exposure_warning(host, None) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.org"])
def test_other_interfaces_warn_without_a_login_only(host: str) -> None:
    assert exposure_warning(host, None) == (
        f"warning: serving on {host} without a login: anyone who can reach this machine "
        "can read the indexed documents; add --auth USER:PASS (or QA_AUTH)")
    assert exposure_warning(host, (USER, PASSWORD)) is None


def _serve_until_bind(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    calls: list[tuple] = []

    def fake_bind(host: str, port: int) -> None:
        calls.append((host, port))
        raise Stop

    monkeypatch.setattr(app, "bind", fake_bind)
    with pytest.raises(Stop):
        app.serve(settings)
    return calls


def test_serve_binds_loopback_by_default_and_says_nothing(monkeypatch, capsys) -> None:
    assert _serve_until_bind(Settings.load({}), monkeypatch) == [("127.0.0.1", 7860)]
    assert capsys.readouterr().err == ""


def test_serve_on_all_interfaces_prints_one_warning_line(monkeypatch, capsys) -> None:
    _serve_until_bind(Settings.load({"QA_HOST": "0.0.0.0"}), monkeypatch)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("warning: serving on 0.0.0.0 without a login")
    _serve_until_bind(Settings.load({"QA_HOST": "0.0.0.0", "QA_AUTH": "ann:pw"}), monkeypatch)
    assert capsys.readouterr().err == ""


def test_auth_values() -> None:
    assert parse_auth("ann:s3cret:x") == ("ann", "s3cret:x")
    for bad in ("user", ":", "", "user:", ":pass", " :pass"):
        with pytest.raises(ConfigError, match="USER:PASS"):
            parse_auth(bad)
    assert "s3cret" not in repr(Settings.load({"QA_AUTH": "ann:s3cret"}))


@pytest.mark.parametrize("argv, env", [(["--auth", "user"], {}), (["--auth", ":"], {}),
                                       (["--auth", ""], {}), ([], {"QA_AUTH": "user"})])
def test_malformed_auth_is_a_one_line_error(argv, env, monkeypatch, capsys) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["serve", *argv]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("qa serve: error: --auth must be USER:PASS")


def test_basic_credentials() -> None:
    def header(text: str) -> str:
        return "Basic " + base64.b64encode(text.encode()).decode()

    assert basic_auth_ok(header(f"{USER}:{PASSWORD}"), (USER, PASSWORD))
    for wrong in (header(f"{USER}:nope"), header("bob:" + PASSWORD), header(USER), "Basic !!",
                  f"Bearer {USER}:{PASSWORD}", "", None):
        assert not basic_auth_ok(wrong, (USER, PASSWORD))


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app asking for a login, on a free loopback port."""
    tmp = tmp_path_factory.mktemp("auth")
    corpus = write_corpus(tmp / "corpus", CORPUS)
    settings = Settings.load({}, corpus=corpus, store=tmp / "store", model="fake-hash-64",
                             feedback_path=tmp / "feedback.jsonl", min_confidence=0.0)
    embedder = FakeEmbedder()
    run_index(settings, embedder)
    service = QAService(settings, embedder, open_stores(settings.store))
    running = app.start(service, auth=(USER, PASSWORD))
    yield running.url
    running.stop()
    service.close()


def status(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


SOURCE = "/source/office.txt?start=0&end=7"


@pytest.mark.parametrize("path, data", [
    ("/config", None), ("/gradio_api/info", None), (SOURCE, None), ("/gradio_api/mcp/", None),
    ("/gradio_api/call/ask", b'{"data": ["Qui dirige le musee ?"]}'),
])
def test_without_login_the_app_api_and_viewer_refuse(guarded: str, path: str,
                                                     data: bytes | None) -> None:
    headers = {"Content-Type": "application/json"} if data else {}
    assert status(guarded + path, data, headers) == 401


def test_without_login_the_client_cannot_connect(guarded: str) -> None:
    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises its own types
        Client(guarded, verbose=False).predict("Qui dirige le musée ?", api_name="/ask")


def test_a_signed_in_client_asks(guarded: str) -> None:
    reply = Client(guarded, verbose=False, auth=(USER, PASSWORD)).predict(
        "Qui dirige le musée des arts ?", api_name="/ask")
    assert reply["answer"] == "Paul Martin dirige le musée des arts depuis 2015."
    with pytest.raises(Exception):  # noqa: B017
        Client(guarded, verbose=False, auth=(USER, "wrong"))


def test_the_viewer_accepts_the_login_session_or_the_same_credentials(guarded: str) -> None:
    form = urllib.parse.urlencode({"username": USER, "password": PASSWORD}).encode()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    with opener.open(urllib.request.Request(guarded + "/login", data=form)) as response:
        assert response.status == 200
    with opener.open(guarded + SOURCE) as response:
        assert response.status == 200 and "Fiche A" in response.read().decode()
    basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert status(guarded + SOURCE, headers={"Authorization": basic}) == 200
    wrong = "Basic " + base64.b64encode(f"{USER}:nope".encode()).decode()
    assert status(guarded + SOURCE, headers={"Authorization": wrong}) == 401


def test_without_auth_nothing_asks_for_a_login(tmp_path: Path) -> None:
    settings = Settings.load({}, corpus=write_corpus(tmp_path / "c", CORPUS),
                             store=tmp_path / "s", model="fake-hash-64")
    run_index(settings, FakeEmbedder())
    service = QAService(settings, FakeEmbedder(), open_stores(settings.store))
    running = app.start(service)
    try:
        assert status(running.url + SOURCE) == 200
        assert status(running.url + "/config") == 200
    finally:
        running.stop()
        service.close()
