"""The run engine's decisions: pure functions over frozen snapshots of a run."""
