"""kopplingar: connect and disconnect bureaus and client companies, digitally or on paper."""

__version__ = "0.1.0"
