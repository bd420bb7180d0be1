"""Imports every table module so that ``Base.metadata`` knows all tables."""
