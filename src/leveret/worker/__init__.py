"""The worker agent: runs containers for the server. See README.md beside this file."""
