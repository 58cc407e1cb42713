"""Where the default store lives. Pure: environment, home directory and platform are parameters."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

__all__ = ["DB_ENV", "default_db_path"]

DB_ENV = "GARRISON_DB"
DB_FILE = "garrison.db"


def default_db_path(
    environ: Mapping[str, str] | None = None,
    home: str | None = None,
    platform: str | None = None,
) -> PurePath:
    """The database path for this user.

    ``GARRISON_DB`` wins when set. Otherwise: Linux and other Unix ``$XDG_DATA_HOME/garrison/garrison.db``
    (``~/.local/share/garrison/garrison.db`` when unset or not absolute), macOS
    ``~/Library/Application Support/Garrison/garrison.db``, Windows ``%LOCALAPPDATA%\\Garrison\\garrison.db``
    (``~\\AppData\\Local`` when unset). The result is a Windows path on Windows, a POSIX path elsewhere.
    """
    env = os.environ if environ is None else environ
    plat = sys.platform if platform is None else platform
    home_dir = str(Path.home()) if home is None else home
    if env.get(DB_ENV):
        return PureWindowsPath(env[DB_ENV]) if plat.startswith("win") else PurePosixPath(env[DB_ENV])
    if plat.startswith("win"):
        base = PureWindowsPath(env.get("LOCALAPPDATA") or PureWindowsPath(home_dir, "AppData", "Local"))
        return base / "Garrison" / DB_FILE
    if plat == "darwin":
        return PurePosixPath(home_dir, "Library", "Application Support", "Garrison", DB_FILE)
    xdg = env.get("XDG_DATA_HOME", "")
    base_posix = PurePosixPath(xdg) if xdg.startswith("/") else PurePosixPath(home_dir, ".local", "share")
    return base_posix / "garrison" / DB_FILE
