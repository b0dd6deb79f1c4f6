"""Command line tools: `remoteappdb` manages the app database."""
