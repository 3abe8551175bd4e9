"""The RPC client: the envelope, one call to the daemon, and a door's invocation flow.

Used by every door (CLI, MCP, web) and by the lanes; imports nothing above `model`.
"""
