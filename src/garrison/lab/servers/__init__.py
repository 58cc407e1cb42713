"""Lab servers, each runnable as ``python -m garrison.lab.servers.<name>`` (stdio)."""
