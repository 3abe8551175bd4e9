"""The daemon: its database substrate, and (later) the socket server and sweeps."""
