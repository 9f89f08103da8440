"""Plain-Python domain logic: no Flask imports, explicit arguments (session, scope, now)."""
