"""Lanes: provider profiles and the supervisor that runs agents for a run."""
