"""``garrison install`` / ``uninstall``: rewrite MCP client configs so stdio servers run behind ``garrison wrap``.

``spans`` and the three span readers (``jsonc_spans``, ``toml_spans``, ``yaml_spans``) locate values in the
original text; ``wrapping`` says what a wrapped launch line is; ``rewrite`` is the pure core (text in, edited
text and changes out, verified by parsing the result again); ``files`` and ``backup`` are the only modules
that touch the disk; ``apply`` runs a whole install or uninstall over the client catalog.
"""

from garrison.install.apply import FileResult, Machine, RunReport, config_files, install, uninstall
from garrison.install.backup import BACKUP_DIR_ENV, default_backup_root, load_records
from garrison.install.files import ConcurrentEditError
from garrison.install.rewrite import EntryChange, FileForm, TextPlan, plan_text, unified_diff
from garrison.install.wrapping import default_launcher, is_wrapped, unwrap_argv, wrap_argv

__all__ = [
    "BACKUP_DIR_ENV",
    "ConcurrentEditError",
    "EntryChange",
    "FileForm",
    "FileResult",
    "Machine",
    "RunReport",
    "TextPlan",
    "config_files",
    "default_backup_root",
    "default_launcher",
    "install",
    "is_wrapped",
    "load_records",
    "plan_text",
    "unified_diff",
    "uninstall",
    "unwrap_argv",
    "wrap_argv",
]
