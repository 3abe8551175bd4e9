"""The three model APIs the agent CLIs speak, each translated to and from neutral turns."""
