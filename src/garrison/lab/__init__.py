"""The attack lab: deliberately malicious MCP servers and their honest twins, for demos and for testing
Garrison's checks end to end. Every server here is offline and touches no user file; see ``catalog``."""
