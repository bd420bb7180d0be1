"""Application services: use cases that load from storage, call the domain and commit."""
