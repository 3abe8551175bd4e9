"""Striatum: a local-first orchestrator for terminal-based AI coding agents."""

__version__ = "0.1.0"
