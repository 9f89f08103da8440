"""Accounts, passwords, TOTP, sessions, roles and scopes (see SECURITY.md)."""
