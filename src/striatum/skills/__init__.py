"""Skill bundles: teach Claude Code, Codex and Gemini CLI to drive Striatum."""
