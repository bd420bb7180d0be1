"""The connection domain: entities, rules and the connect/disconnect operations. No I/O here."""
