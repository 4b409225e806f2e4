"""Who may do what: users, roles, sessions, API tokens and the audit log."""
