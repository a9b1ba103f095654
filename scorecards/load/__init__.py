"""Loading: company files read as YAML with positions, then validated against the schema."""
