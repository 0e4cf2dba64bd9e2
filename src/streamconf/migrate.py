"""`streamconf import`: a case document (mediawiki-config's settings per realm, and the wikis with
their tags) written out as a YAML repository that compiles back to the same result.

A config that has served for years holds keys that MediaWiki ignores or serves as they are and that
streamconf's lint rules count as errors: a key for a wiki or tag that the wiki list no longer has,
an override of a stream that no layer declares. Import writes them faithfully, reports each one,
and lowers exactly the rules that found them to warnings in streamconf.yaml, so that `compile`
gives MediaWiki's answer and `validate` keeps pointing at every one."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from .codes import CODES, fail
from .diagnostics import ConfigError, Diagnostic, Location
from .editors import editor_files, with_modeline
from .layout import CASE_PATHS, CONFIG_FILE, EVENTLOGGING_FILE, OVERLAY_FOLDER, OVERRIDES, STREAM_DEFAULTS_FILE
from .build_model import NAME
from .load import plain_scalar
from .outputs import bounded, create, is_inside
from .resolve import SETTINGS, as_map
from .values import plural

MEDIAWIKI_SETTINGS = {
    "wgEventStreams": "streams",
    "wgEventStreamsDefaultSettings": "stream_defaults",
    "wgEventLoggingStreamNames": "eventlogging_streams",
}
DEFAULT_FILES = {"stream_defaults": STREAM_DEFAULTS_FILE, "eventlogging_streams": EVENTLOGGING_FILE}


class _InlineList(list):
    """A short list written on one line: a wiki's tags."""


class _Dumper(yaml.SafeDumper):
    """Quotes every string that streamconf's YAML 1.2 reading would take for another type, and
    indents block lists under their key."""

    def represent_str(self, data: str) -> yaml.ScalarNode:
        style = "'" if not isinstance(plain_scalar(data), str) else None
        return self.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    def represent_inline_list(self, data: _InlineList) -> yaml.SequenceNode:
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


_Dumper.add_representer(str, _Dumper.represent_str)
_Dumper.add_representer(_InlineList, _Dumper.represent_inline_list)


def dump_yaml(value: Any) -> str:
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)


def _case_error(case: str, message: str, hint: str = "") -> ConfigError:
    return fail("SC020", Location(case), message, hint)


def read_json_document(path: Path) -> Any:
    """A JSON document to import; duplicate keys and non-finite numbers are refused."""
    def pairs(items: list[tuple[str, Any]]) -> dict:
        document: dict = {}
        for key, value in items:
            if key in document:
                raise _case_error(str(path), f"duplicate key {key!r} in the case document")
            document[key] = value
        return document

    def constant(name: str) -> Any:
        raise _case_error(str(path), f"{name} is not a JSON number")

    try:
        return json.loads(path.read_text("utf-8"), object_pairs_hook=pairs, parse_constant=constant)
    except OSError as error:
        raise _case_error(str(path), f"cannot read the document: {error.strerror}") from None
    except (ValueError, RecursionError) as error:
        raise _case_error(str(path), f"not a JSON document: {error}", "check the file is JSON") from None


def read_case(path: Path) -> dict:
    """The case document: mediawiki-config's settings per realm, and the wikis."""
    case = read_json_document(path)
    if not isinstance(case, dict) or not isinstance(case.get("realms"), dict) or not case["realms"]:
        raise _case_error(str(path), "the case document has no `realms` object", "see the README: Migrating")
    return case


def repository_files(case: dict, case_name: str) -> dict[str, str]:
    """The YAML files equivalent to a case document: relative path -> text."""
    files: dict[str, str] = {}
    root_realm: str | None = None
    for realm, spec in case["realms"].items():
        _check_name(case_name, "realm name", realm)
        if not isinstance(spec, dict):
            raise _case_error(case_name, f"realm {realm!r} is not an object")
        realm_doc: dict[str, Any] = {}
        if "settings" in spec:
            settings = _settings(spec["settings"], case_name, realm)
            replaced: list[str] = []
            if root_realm is None:
                root_realm = realm
                keys_by_setting = _write_root_defaults(settings, files)
            else:
                # A second realm with settings of its own: built on the first, every setting replaced.
                realm_doc["base"] = root_realm
                replaced = list(SETTINGS)
                keys_by_setting = settings
        elif "base" in spec:
            if not isinstance(spec["base"], str):
                raise _case_error(case_name, f"realm {realm!r}: base must be the name of a realm, not {bounded(str(spec['base']))}")
            if spec["base"] not in case["realms"] or list(case["realms"]).index(spec["base"]) >= list(case["realms"]).index(realm):
                raise _case_error(case_name, f"realm {realm!r}: base {spec['base']!r} is not an earlier realm")
            realm_doc["base"] = spec["base"]
            overrides = spec.get("overrides", {})
            if not isinstance(overrides, dict):
                raise _case_error(case_name, f"realm {realm!r}: overrides must be an object")
            names = [name.removeprefix("-") for name in overrides]
            if len(set(names)) < len(names):
                raise _case_error(case_name, f"realm {realm!r} overrides a setting both with and without '-'")
            replaced = [MEDIAWIKI_SETTINGS.get(name[1:]) for name in overrides if name.startswith("-")]
            keys_by_setting = _settings(dict(zip(names, overrides.values())), case_name, realm)
        else:
            raise _case_error(case_name, f"realm {realm!r} has neither `settings` nor `base`")
        if replaced:
            realm_doc["replace"] = [setting for setting in SETTINGS if setting in replaced]
        wikis = spec.get("wikis")
        if not isinstance(wikis, dict):
            raise _case_error(case_name, f"realm {realm!r} has no `wikis` object")
        for wiki, tags in wikis.items():
            _check_name(case_name, f"realm {realm!r}: wiki id", wiki)
            if not isinstance(tags, list):
                raise _case_error(case_name, f"realm {realm!r}: the tags of {wiki!r} must be a list")
            for tag in tags:
                _check_name(case_name, f"realm {realm!r}: tag of {wiki!r}", tag)
        realm_doc["wikis"] = {wiki: _InlineList(tags) for wiki, tags in wikis.items()}
        files[f"realms/{realm}.yaml"] = dump_yaml(realm_doc)
        _write_overrides(realm, keys_by_setting, files)
    return files


def _check_name(case_name: str, what: str, name: Any) -> None:
    """Names become directory and file names: the repository's naming rule, checked before
    anything is written."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise _case_error(case_name, f"{what} {bounded(str(name))} is not a valid name",
                          "names are lowercase letters, digits, '_' and '-' (at most 64), starting with a letter or digit")


def _settings(settings: Any, case_name: str, realm: str) -> dict[str, dict[str, Any]]:
    if not isinstance(settings, dict):
        raise _case_error(case_name, f"realm {realm!r}: settings must be an object")
    result: dict[str, dict[str, Any]] = {}
    for name, keys in settings.items():
        if name not in MEDIAWIKI_SETTINGS:
            raise _case_error(case_name, f"realm {realm!r}: unknown setting {name!r}",
                              f"streamconf reads {', '.join(MEDIAWIKI_SETTINGS)}")
        if not isinstance(keys, dict):
            raise _case_error(case_name, f"realm {realm!r}: {name} must map keys to values")
        for key in keys:
            if key != "default":
                _check_name(case_name, f"realm {realm!r}: the {name} key", key.removeprefix("+"))
        result[MEDIAWIKI_SETTINGS[name]] = keys
    return result


def _write_root_defaults(settings: dict[str, dict[str, Any]], files: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Write the root realm's `default` keys to their own files; return the other keys."""
    rest = {}
    for setting, keys in settings.items():
        keys = dict(keys)
        if "default" in keys:
            value = keys.pop("default")
            if setting == "streams":
                files["streams/streams.yaml"] = dump_yaml(as_map(value) if isinstance(value, list) else value)
            else:
                files[DEFAULT_FILES[setting]] = dump_yaml(value)
        rest[setting] = keys
    return rest


def _write_overrides(realm: str, keys_by_setting: dict[str, dict[str, Any]], files: dict[str, str]) -> None:
    by_key: dict[str, dict[str, Any]] = {}
    for setting in SETTINGS:
        for key, value in keys_by_setting.get(setting, {}).items():
            if setting == "streams" and isinstance(value, list):
                value = as_map(value)
            by_key.setdefault(key, {})[setting] = value
    for key, settings in sorted(by_key.items()):
        files[f"overrides/{realm}/{key}.yaml"] = dump_yaml({key: settings})


def existing_config(root: Path) -> list[str]:
    return [name for name in CASE_PATHS if (root / name).exists() or (root / name).is_symlink()]


def _remove_case_config(target: Path) -> None:
    """Remove a path of the case's config; of overrides/, every realm's instruments/ folder stays:
    it holds instrument changes, which no case describes."""
    if target.name != OVERRIDES or target.is_symlink() or not target.is_dir():
        _remove(target)
        return
    for realm in target.iterdir():
        overlay = realm / OVERLAY_FOLDER
        if realm.is_symlink() or not overlay.is_dir() or overlay.is_symlink():
            _remove(realm)
            continue
        for child in realm.iterdir():
            if child.name != OVERLAY_FOLDER:
                _remove(child)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _move_into(source: Path, target: Path) -> None:
    """Rename `source` to `target`; where a folder is still there (overrides/ with the instrument
    changes it kept), move the contents into it."""
    if not os.path.lexists(target):
        os.rename(source, target)
        return
    for child in source.iterdir():
        _move_into(child, target / child.name)


def settings_text(findings: list[Diagnostic]) -> str:
    """streamconf.yaml with the rules that found something lowered to warnings, saying why."""
    codes = sorted({d.code for d in findings})
    counts = [f"#   {code} {CODES[code].name}: {plural(sum(d.code == code for d in findings), 'finding')}" for code in codes]
    return "\n".join([
        "# Written by `streamconf import`. The imported config has keys that MediaWiki ignores or serves as",
        "# they are, and that these rules count as errors:",
        *counts,
        "# They are lowered to warnings so that `streamconf compile` gives MediaWiki's answer; `streamconf",
        "# validate` lists every one. Fix or remove them, then delete the severity lines to make the rules",
        "# errors again.",
        "rules:",
        "  severity:",
        *[f"    {code}: warning" for code in codes],
        "",
    ])


def case_files(case_path: Path) -> dict[str, str]:
    """The repository files for a case document, each with its schema modeline."""
    files = repository_files(read_case(case_path), str(case_path))
    for relative in files:
        if not is_inside(relative):  # names are checked above; nothing is ever written outside ROOT
            raise _case_error(str(case_path), f"the path {bounded(relative)} is not inside the repository")
    return {name: with_modeline(name, text) for name, text in files.items()}


def import_case(case_path: Path, root: Path, force: bool) -> list[str]:
    """Write the repository for a case under `root`, as it is; returns the files written."""
    return write_repository(case_files(case_path), root, force)


def write_repository(written: dict[str, str], root: Path, force: bool) -> list[str]:
    """Write an imported repository under `root`: the stream config a case describes (CASE_PATHS)
    replaced whole (with `force`), a streamconf.yaml only where there is none, and what editors need
    where it is missing. Instruments are not a case's: instruments/ and every realm's
    overrides/<realm>/instruments/ stay as they are."""
    present = existing_config(root)
    if present and not force:
        raise fail("SC021", Location(str(root)), f"{root} already holds a config ({', '.join(present)})",
                    "use --force to replace it whole")
    try:
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".import-", dir=root))
        try:
            for relative, text in written.items():
                target = staging / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, "utf-8")
            for name in present:
                _remove_case_config(root / name)
            for name in CASE_PATHS + (CONFIG_FILE,):
                if (staging / name).exists():
                    _move_into(staging / name, root / name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        # a file already there may be the user's own, and stays
        editors = [relative for relative, text in editor_files().items() if create(root, relative, text)]
    except OSError as error:
        raise fail("SC022", Location(str(error.filename or root)), f"cannot write the repository: {error.strerror}",
                    "check the permissions of --root") from None
    return sorted(written) + editors
