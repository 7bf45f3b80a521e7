"""Which files of an inbox are documents: the walk that ``xxgk extract``, ``xxgk run`` and the DAG share.

Every entry of a folder is either a document or *skipped with a reason* (a link that loops or
leads nowhere, a named pipe, a device): nothing is left out without a word.  File names are
taken as the file system gives them, whatever their bytes (``xxgk.names``).
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from extractors.dispatch import special_kind
from xxgk.names import display_path

log = logging.getLogger(__name__)

# Checksums and manifests that travel with downloaded reports are not reports.
SUFFIXES_SKIPPED = {".md5", ".sha256", ".tsv"}


@dataclass(frozen=True)
class Skipped:
    """An entry of a folder that is not read, and why."""

    path: str  # as text that can be printed and stored (xxgk.names.display_path)
    reason: str


@dataclass
class Walk:
    documents: list[Path] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _not_a_file(path: Path) -> str | None:
    """Why ``path`` (inside a folder) is not a document, or None when it is a regular file."""
    try:
        mode = path.stat().st_mode
    except OSError as err:
        if path.is_symlink():
            if err.errno == errno.ELOOP:
                return "a symbolic link that loops back on itself: remove it or point it at the report"
            return (
                f"a symbolic link to {display_path(os.readlink(path))}, which does not exist: "
                "copy the report itself into the inbox"
            )
        return f"cannot be looked at ({err.strerror or err}): check its permissions"
    if stat.S_ISREG(mode):
        return None
    return f"{special_kind(mode)}, not a file: only report files are read"


def walk(paths_given: Sequence[Path]) -> Walk:
    """Files in the order given; folders walked in sorted path order, following links once.

    The caller reports ``skipped`` (``xxgk extract`` prints it, ``xxgk run`` summarises it).
    """
    documents, skipped = _walk(paths_given)
    return Walk([Path(d) for d in documents], skipped)


def _walk(paths_given: Sequence[Path]) -> tuple[list[str], list[Skipped]]:
    """``walk``'s documents as strings: at 100 000 files Path objects and a stat per regular file
    were most of the walk (a directory entry says it is a regular file without one)."""
    documents: list[str] = []
    skipped: list[Skipped] = []
    for path in paths_given:
        if not path.is_dir():
            documents.append(str(path))  # named by the user: its record says what is wrong
            continue
        seen = {os.path.realpath(path)}
        inside: list[tuple[tuple[bytes, ...], os.DirEntry[str]]] = []
        folders = [str(path)]
        while folders:  # top-down, each folder's sub-folders in the order listed (as os.walk)
            root = folders.pop()
            try:
                with os.scandir(root) as listing:
                    entries = list(listing)
            except OSError:
                continue  # as os.walk: a folder that cannot be listed is passed over
            below = []
            root_key = _sort_key(root)
            for entry in entries:
                try:
                    is_dir = entry.is_dir()  # through a link, as os.walk(followlinks=True)
                except OSError:
                    is_dir = False
                if not is_dir:
                    inside.append(((*root_key, os.fsencode(entry.name)), entry))
                    continue
                real = os.path.realpath(entry.path)
                if real in seen:
                    # A link back to a folder already walked: a loop.
                    skipped.append(
                        Skipped(
                            display_path(entry.path),
                            "a link to a folder already walked (a loop): not followed again",
                        )
                    )
                    continue
                seen.add(real)
                below.append(entry.path)
            folders.extend(reversed(below))
        # Sorted part by part, as paths compare (any bytes in a name compare too).
        inside.sort(key=lambda item: item[0])
        for _, entry in inside:
            name = entry.name
            if name.startswith(".") or os.path.splitext(name)[1].lower() in SUFFIXES_SKIPPED:
                continue
            try:
                regular = entry.is_file(follow_symlinks=False)  # no stat: the entry's own type
            except OSError:
                regular = False
            reason = None if regular else _not_a_file(Path(entry.path))
            if reason is None:
                documents.append(entry.path)
            else:
                skipped.append(Skipped(display_path(entry.path), reason))
    return documents, skipped


def _sort_key(path: str) -> tuple[bytes, ...]:
    return tuple(os.fsencode(part) for part in Path(path).parts)


def iter_documents(paths_given: Sequence[Path]) -> Iterator[Path]:
    """The documents of ``walk`` (the skipped entries are logged as warnings)."""
    found = walk(paths_given)
    for skipped in found.skipped:
        log.warning("skipped %s: %s", skipped.path, skipped.reason)
    yield from found.documents


class EmptyInbox(ValueError):
    """An inbox with no document: a wrong path or a failed delivery, not a quiet year."""


def discover(inbox: Path) -> list[str]:
    """The documents of an inbox folder, sorted by path (strings, for XCom); never empty."""
    return discover_walk(inbox).documents


@dataclass
class Discovered:
    documents: list[str]
    skipped: list[Skipped]


def discover_walk(inbox: Path) -> Discovered:
    """``discover``, with the entries skipped and their reasons."""
    if not inbox.exists():
        raise FileNotFoundError(f"inbox {display_path(inbox)}: no such file or folder")
    documents, skipped = _walk([inbox])
    if not documents:
        listed = "".join(f"\n  - {s.path}: {s.reason}" for s in skipped)
        raise EmptyInbox(
            f"inbox {display_path(inbox)}: no documents to load"
            + (f" ({len(skipped)} entries skipped:{listed})" if listed else "")
            + ": put the reports there, or give the right folder with --inbox"
        )
    for entry in skipped:
        log.warning("skipped %s: %s", entry.path, entry.reason)
    log.info("discovered %d documents in %s", len(documents), display_path(inbox))
    return Discovered(documents, skipped)


# The folders a DAG run may read (the deployment's own settings, not the run's params).
INBOX_ROOT_ENVS = ("XXGK_INBOX_ROOT", "XXGK_INBOX")


class InboxNotAllowed(ValueError):
    """A run's inbox parameter points outside the configured inbox root."""


def allowed_roots() -> list[Path]:
    return [Path(os.environ[name]) for name in INBOX_ROOT_ENVS if os.environ.get(name, "").strip()]


def confined(inbox: Path, roots: Sequence[Path] | None = None) -> Path:
    """``inbox`` when it lies inside one of the configured roots (links and ``..`` resolved).

    Whoever may trigger the DAG chooses its ``inbox`` params; the workers must not read any
    other folder for them.  With no root configured (a developer's machine) any folder goes.
    """
    roots = allowed_roots() if roots is None else list(roots)
    if not roots:
        return inbox
    real = Path(os.path.realpath(inbox))
    for root in roots:
        if real.is_relative_to(os.path.realpath(root)):
            return inbox
    raise InboxNotAllowed(
        f"inbox {display_path(inbox)} (resolved: {display_path(real)}) is outside the configured "
        f"inbox root ({', '.join(display_path(r) for r in roots)}; {' / '.join(INBOX_ROOT_ENVS)}): "
        "put the documents under it and give that folder, or change the deployment's setting"
    )
