"""Editors: the real yaml-language-server (from npm, as VS Code's YAML extension, Neovim's yamlls and
others run it) checks the repository's files against schemas/ through the modeline and through
.vscode/settings.json, and reports a wrong type at its line."""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from conftest import PROJECT, run_installed, write_tree
from streamconf.editors import MODELINE, VSCODE_SETTINGS, vscode_settings
from streamconf.layout import FILE_GLOBS, SCHEMA_OF_KIND, TREES

SERVER_VERSION = "2.0.0"
SERVER_PREFIX = PROJECT / ".tools" / "yaml-language-server"
ANSWER_SECONDS = 60  # a guard against a server that never answers, not a measure of speed


@pytest.fixture(scope="session")
def server_script() -> Path:
    """yaml-language-server, installed with npm on first use (node and npm are needed)."""
    script = SERVER_PREFIX / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
    if not script.exists():
        npm = shutil.which("npm")
        assert npm, "the editor tests need node and npm (Debian: apt-get install nodejs npm)"
        subprocess.run([npm, "install", "--silent", "--no-save", "--no-package-lock", "--prefix", str(SERVER_PREFIX),
                        f"yaml-language-server@{SERVER_VERSION}"], check=True, timeout=600)
    return script


class LanguageServer:
    """A minimal LSP client over stdio: opens documents and collects what the server publishes."""

    def __init__(self, script: Path, root: Path, settings: dict) -> None:
        self.settings = settings
        self.process = subprocess.Popen(["node", str(script), "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL)
        self.messages: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.request(1, "initialize", {"processId": None, "rootUri": root.as_uri(),
                                       "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                                       "capabilities": {"workspace": {"configuration": True}}})
        self.wait(lambda message: message.get("id") == 1)
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": {"yaml": settings}})

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = 0
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                length = int(value) if name.lower() == "content-length" else length
            if not length:
                return
            self.messages.put(json.loads(stream.read(length)))

    def _send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def request(self, number: int, method: str, params: dict) -> None:
        self._send({"id": number, "method": method, "params": params})

    def notify(self, method: str, params: dict) -> None:
        self._send({"method": method, "params": params})

    def wait(self, wanted) -> dict:
        """The next message `wanted` accepts, answering the server's own requests on the way as an
        editor does (its settings for workspace/configuration)."""
        while True:
            message = self.messages.get(timeout=ANSWER_SECONDS)
            if "method" in message and "id" in message:
                items = message["params"].get("items", []) if message["method"] == "workspace/configuration" else None
                result = [self.settings if item.get("section") == "yaml" else None for item in items] if items is not None else None
                self._send({"id": message["id"], "result": result})
            elif wanted(message):
                return message

    def diagnostics(self, file: Path) -> list[tuple[int, str]]:
        """(line from 1, message) of what the server reports when the file is opened."""
        uri = file.as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1,
                                                              "text": file.read_text("utf-8")}})
        published = self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri)
        return [(d["range"]["start"]["line"] + 1, d["message"]) for d in published["params"]["diagnostics"]]

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def language_server(server_script: Path):
    servers = []

    def start(root: Path, settings: dict | None = None) -> LanguageServer:
        servers.append(LanguageServer(server_script, root, settings or {}))
        return servers[-1]
    yield start
    for server in servers:
        server.close()


CASE = {"realms": {"production": {
    "settings": {"wgEventStreams": {"default": {"a.b": {"schema_title": "s", "sample": {"rate": 0.5}}},
                                    "+enwiki": {"a.b": {"sample": {"rate": 0.1}}}},
                 "wgEventLoggingStreamNames": {"default": ["a.b"]}},
    "wikis": {"enwiki": ["en", "wiki"]}}}}


def imported(tmp_path: Path) -> Path:
    case = tmp_path / "case.json"
    case.write_text(json.dumps(CASE))
    root = tmp_path / "repo"
    result = run_installed("import", case, "--root", root)
    assert result.returncode == 0, result.stderr
    return root


def test_import_writes_the_schemas_the_association_and_modelines(tmp_path: Path):
    root = imported(tmp_path)
    assert (root / VSCODE_SETTINGS).read_text() == vscode_settings()
    for name in SCHEMA_OF_KIND.values():
        assert (root / "schemas" / name).read_bytes() == (PROJECT / "schemas" / name).read_bytes()
    assert (root / "overrides/production/+enwiki.yaml").read_text().startswith(
        f"{MODELINE}../../schemas/overrides.schema.json\n+enwiki:\n")
    assert (root / "eventlogging.yaml").read_text() == f"{MODELINE}./schemas/eventlogging.schema.json\n- a.b\n"
    assert run_installed("validate", "--root", root).returncode == 0


def test_import_keeps_editor_files_it_did_not_write(tmp_path: Path):
    root = write_tree(tmp_path / "repo", {VSCODE_SETTINGS: '{"editor.tabSize": 2}\n'})
    case = tmp_path / "case.json"
    case.write_text(json.dumps(CASE))
    result = run_installed("import", case, "--root", root)
    assert result.returncode == 0, result.stderr
    assert (root / VSCODE_SETTINGS).read_text() == '{"editor.tabSize": 2}\n'
    assert (root / "schemas/overrides.schema.json").exists()


def test_the_committed_association_is_current_and_covers_every_kind_of_file():
    assert (PROJECT / VSCODE_SETTINGS).read_text() == vscode_settings(), "regenerate with streamconf.editors.vscode_settings()"
    assert set(FILE_GLOBS) == set(SCHEMA_OF_KIND)


def vscode_yaml_settings(root: Path) -> dict:
    """The `yaml` settings VS Code sends the server from the workspace's .vscode/settings.json."""
    return {"schemas": json.loads((root / VSCODE_SETTINGS).read_text())["yaml.schemas"]}


WRONG_TYPE = "+enwiki:\n  streams:\n    a.b:\n      sample:\n        rate: high\n"


def test_the_language_server_reports_a_wrong_type_at_its_line_through_the_modeline(tmp_path: Path, language_server):
    root = imported(tmp_path)
    target = root / "overrides/production/+enwiki.yaml"
    target.write_text(target.read_text().split("\n")[0] + "\n" + WRONG_TYPE)
    server = language_server(root)  # no settings at all: the modeline alone
    assert server.diagnostics(target) == [(6, 'Incorrect type. Expected "number".')]
    assert server.diagnostics(root / "streams/streams.yaml") == []


def test_the_language_server_reads_the_vscode_association(tmp_path: Path, language_server):
    root = imported(tmp_path)
    written_by_hand = write_tree(root, {"overrides/production/team/sampling.yaml": WRONG_TYPE,
                                        "streams/team/web.yaml": "c.d:\n  schema_title: s\n  topics: one\n",
                                        "overrides/production/streams/eventlogging.yaml": "private:\n  eventlogging_streams: [a.b]\n",
                                        "instruments/web/scroll.yaml": "web-scroll:\n  stream_name: a.b\n  contextual_attributes: page_id\n",
                                        "overrides/production/instruments/web.yaml": "web-scroll:\n  enabled: maybe\n"})
    server = language_server(root, vscode_yaml_settings(root))
    assert server.diagnostics(written_by_hand / "overrides/production/team/sampling.yaml") == \
        [(5, 'Incorrect type. Expected "number".')]
    assert server.diagnostics(root / "streams/team/web.yaml") == [(3, 'Incorrect type. Expected one of array, null.')]
    # a folder or file named like another kind's is checked as what it is where it is
    assert server.diagnostics(root / "overrides/production/streams/eventlogging.yaml") == []
    assert sorted(server.diagnostics(root / "instruments/web/scroll.yaml")) == [
        (1, 'Missing property "end".'), (1, 'Missing property "sample".'), (1, 'Missing property "schema_title".'),
        (1, 'Missing property "start".'), (3, 'Incorrect type. Expected "array".')]
    assert server.diagnostics(root / "overrides/production/instruments/web.yaml") == [(2, 'Incorrect type. Expected "boolean".')]


def test_the_repository_own_files_are_clean_in_the_editor(language_server):
    server = language_server(PROJECT, vscode_yaml_settings(PROJECT))
    files = [PROJECT / name for name in ("streamconf.yaml", "stream-defaults.yaml", "eventlogging.yaml")]
    files += sorted(path for tree in TREES for path in (PROJECT / tree).rglob("*.yaml"))
    assert {str(file.relative_to(PROJECT)): server.diagnostics(file) for file in files} == \
        {str(file.relative_to(PROJECT)): [] for file in files}
