"""Reading a policy file (the edge: file system, home directory, working directory)."""

from __future__ import annotations

import os
from pathlib import Path

from garrison.errors import PolicyError
from garrison.policy.engine import Policy
from garrison.policy.parse import parse_policy
from garrison.policy.yamltree import MAX_POLICY_BYTES

__all__ = ["DEFAULT_POLICY_FILE", "load_policy", "load_policy_or_deny", "policy_from_text", "read_policy_text"]

DEFAULT_POLICY_FILE = "garrison.yaml"


def policy_from_text(text: str, *, path: str = DEFAULT_POLICY_FILE, home: str | None = None,
                     cwd: str | None = None) -> Policy:
    """Compile policy ``text``; ``path`` is named in errors and decisions. Raise :class:`PolicyError`."""
    home_dir = home if home is not None else str(Path.home())
    return Policy(parse_policy(text, path=path, home=home_dir), home=home_dir,
                  cwd=cwd if cwd is not None else os.getcwd())


def read_policy_text(where: str, *, what: str) -> str:
    """The UTF-8 text of a Garrison-managed YAML file (policy, playbooks, block list), at most
    ``MAX_POLICY_BYTES``. Raise :class:`PolicyError` naming the file (and the line of a bad byte);
    ``FileNotFoundError`` passes through for callers that accept a missing file."""
    try:
        with open(where, "rb") as handle:
            data = handle.read(MAX_POLICY_BYTES + 1)
    except FileNotFoundError:
        raise
    except OSError as err:
        raise PolicyError(f"cannot read the {what}: {err.strerror or err}", where=where) from None
    if len(data) > MAX_POLICY_BYTES:
        raise PolicyError(f"{what} file larger than {MAX_POLICY_BYTES} bytes", where=where)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise PolicyError(f"the {what} is not UTF-8 text", where=f"{where}:{line}") from None


def load_policy(path: str | os.PathLike[str] = DEFAULT_POLICY_FILE, *, home: str | None = None,
                cwd: str | None = None) -> Policy:
    """Load ``path``. Raise :class:`PolicyError` (naming ``file:line``) if it is missing, too large or invalid."""
    where = os.fspath(path)
    try:
        text = read_policy_text(where, what="policy")
    except FileNotFoundError as err:
        raise PolicyError(f"cannot read the policy: {err.strerror or err}", where=where) from None
    return policy_from_text(text, path=where, home=home, cwd=cwd)


def load_policy_or_deny(path: str | os.PathLike[str] = DEFAULT_POLICY_FILE, *, home: str | None = None,
                        cwd: str | None = None) -> Policy:
    """Like :func:`load_policy`, but a policy that cannot be loaded becomes one that denies every call and
    says why (for a long-running gateway reloading its policy: fail closed, keep answering)."""
    try:
        return load_policy(path, home=home, cwd=cwd)
    except PolicyError as err:
        return Policy.fail_closed(str(err), source=os.fspath(path))
