"""事项: declaration, joint review and decision (the life of an item in DESIGN.md)."""
