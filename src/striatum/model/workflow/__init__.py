"""The workflow.json model (v1), its structural rules and its graph. Pure: no I/O."""
