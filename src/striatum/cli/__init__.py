"""The command-line door. Imports stay lazy so `striatum --help` is instant."""
