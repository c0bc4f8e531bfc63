"""The Leveret server: the API, the dispatcher, the store, the scheduler and the dashboard (README.md)."""
