"""The MCP door: the verb catalog as MCP tools, served over stdio or loopback HTTP."""
