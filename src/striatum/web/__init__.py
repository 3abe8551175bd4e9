"""The local web UI: a Starlette app over the daemon's verbs (`striatum serve --web`)."""
