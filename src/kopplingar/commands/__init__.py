"""Command groups of the ``kopplingar`` CLI; each module exposes ``register(app)``."""
