"""Flask-WTF forms shared by more than one blueprint (CSRF on every one)."""
