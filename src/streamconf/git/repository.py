"""What git knows: the config as it is at any commit, the state of the working tree, the history
of the config files and who last changed a line. Reads only; never touches the working tree."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import git

from ..codes import diagnostic
from ..diagnostics import Diagnostic, Location, UsageError
from ..layout import CONFIG_PATHS, TREES, is_input_file, not_a_file, size_refused, symlink_refused
from ..outputs import bounded

_SYMLINK_MODE = 0o120000


@dataclass(frozen=True)
class Revision:
    """A commit as the commands show it."""

    sha: str
    author: str
    date: str  # ISO 8601, UTC
    subject: str

    @property
    def short(self) -> str:
        return self.sha[:10]


@dataclass
class Checkout:
    """A git repository and where the config repository sits inside it."""

    repo: git.Repo
    prefix: str  # the config root relative to the git work tree, '' at the top

    def path(self, relative: str) -> str:
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def config_paths(self) -> list[str]:
        return [self.path(name) for name in CONFIG_PATHS]


def open_checkout(root: Path) -> Checkout | None:
    """The git repository holding `root`, or None outside git."""
    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    if repo.working_tree_dir is None:
        return None
    prefix = Path(os.path.relpath(Path(root).resolve(), Path(repo.working_tree_dir).resolve())).as_posix()
    return Checkout(repo, "" if prefix == "." else prefix)


def require_checkout(root: Path) -> Checkout:
    checkout = open_checkout(root)
    if checkout is None:
        raise UsageError([diagnostic("SC040", Location(str(root)), "the config repository is not in a git repository",
                              "run `git init`, or leave out the git options")])
    return checkout


def commit_of(checkout: Checkout, ref: str) -> git.Commit:
    """The commit `ref` names, once its objects are known to be here."""
    try:
        commit = checkout.repo.commit(ref)
        commit.tree  # reads the commit: a shallow clone names parents it does not have
        return commit
    except (git.BadName, git.BadObject, git.GitCommandError, ValueError, IndexError) as error:
        shallow = (Path(checkout.repo.git_dir) / "shallow").exists()
        raise UsageError([diagnostic("SC041", Location(str(ref)), f"{ref!r} names no commit here: {bounded(str(error))}",
                                     "this is a shallow clone: fetch the history with `git fetch --unshallow`" if shallow
                                     else "give a commit, branch or tag that exists")]) from None


def revision(commit: git.Commit) -> Revision:
    return Revision(commit.hexsha, commit.author.name or "", commit.authored_datetime.astimezone().isoformat(),
                    commit.summary if isinstance(commit.summary, str) else commit.summary.decode())


def files_at(checkout: Checkout, commit: git.Commit) -> tuple[dict[str, bytes], list[Diagnostic]]:
    """The bytes of every input file as the commit has them."""
    files: dict[str, bytes] = {}
    diagnostics: list[Diagnostic] = []
    try:
        tree = commit.tree / checkout.prefix if checkout.prefix else commit.tree
    except KeyError:
        return files, diagnostics
    for item in tree.traverse():
        relative = item.path[len(checkout.prefix) + 1:] if checkout.prefix else item.path
        if item.type == "submodule" and (is_input_file(relative) or relative.split("/")[0] in TREES):
            diagnostics.append(not_a_file(relative, "submodule (a gitlink)"))
            continue
        if item.type == "tree" and is_input_file(relative):
            diagnostics.append(not_a_file(relative, "directory"))
        if item.type != "blob" or not is_input_file(relative):
            continue
        refused = symlink_refused(relative) if item.mode == _SYMLINK_MODE else size_refused(relative, item.size)
        if refused is not None:
            diagnostics.append(refused)
        else:
            files[relative] = item.data_stream.read()
    return files, diagnostics


def default_branch(checkout: Checkout) -> str:
    """origin's default branch if known, else main or master."""
    repo = checkout.repo
    try:
        return repo.git.symbolic_ref("--short", "refs/remotes/origin/HEAD").strip()
    except git.GitCommandError:
        pass
    for name in ("main", "master"):
        if name in repo.heads:
            return name
    raise UsageError([diagnostic("SC042", Location("BASE"), "no default branch (origin/HEAD, main or master) to compare with",
                          "name the base commit: streamconf diff BASE")])


def merge_base(checkout: Checkout, first: str, second: str = "HEAD") -> git.Commit:
    bases = checkout.repo.merge_base(commit_of(checkout, first), commit_of(checkout, second))
    if not bases:
        raise UsageError([diagnostic("SC042", Location(first), f"{first} and {second} have no common ancestor",
                              "name the base commit")])
    return bases[0]


def history(checkout: Checkout, ref: str = "HEAD", max_count: int | None = None) -> list[git.Commit]:
    """Commits that changed a config file, oldest first."""
    commit = commit_of(checkout, ref)
    options = {"max_count": max_count} if max_count else {}
    return list(reversed(list(checkout.repo.iter_commits(commit, paths=checkout.config_paths(), **options))))


def blame(checkout: Checkout, file: str, line: int) -> Revision | None:
    """The commit that last changed a line of the working tree's file; None if not committed."""
    try:
        output = checkout.repo.git.blame("-L", f"{line},{line}", "--porcelain", "--", checkout.path(file))
    except git.GitCommandError:
        return None
    fields = dict(row.split(" ", 1) for row in output.splitlines()[1:] if " " in row and not row.startswith("\t"))
    sha = output.split(" ", 1)[0]
    if set(sha) == {"0"}:
        return None
    date = datetime.fromtimestamp(int(fields.get("author-time", "0")), timezone.utc).isoformat()
    return Revision(sha, fields.get("author", ""), date, fields.get("summary", ""))
