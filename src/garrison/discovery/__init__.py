"""Client discovery: every MCP server configured on this machine, found without launching anything.

``clients.yaml`` (data) says where each client keeps its config; ``catalog`` validates and expands it,
``parsers`` reads JSON/JSONC/TOML/YAML with line numbers, ``shapes`` maps each client's entry shape to a
``LaunchSpec``, ``masking`` hides inline secrets for display, and ``discover`` is the only module that touches
the file system.
"""

from garrison.discovery.catalog import Catalog, ClientDef, default_catalog, load_catalog
from garrison.discovery.discover import MAX_CONFIG_BYTES, DiscoveryResult, default_home, discover
from garrison.discovery.masking import is_secret_name, mask_args, mask_text, mask_url
from garrison.discovery.parsers import parse_config_text, strip_jsonc
from garrison.discovery.shapes import servers_from_document

__all__ = [
    "MAX_CONFIG_BYTES",
    "Catalog",
    "ClientDef",
    "DiscoveryResult",
    "default_catalog",
    "default_home",
    "discover",
    "is_secret_name",
    "load_catalog",
    "mask_args",
    "mask_text",
    "mask_url",
    "parse_config_text",
    "servers_from_document",
    "strip_jsonc",
]
