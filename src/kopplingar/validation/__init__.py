"""Rules that decide whether a read form may be applied, with stable reason codes."""
