"""Corpus export: a redacted, replay-stable bundle that anyone can verify offline."""
