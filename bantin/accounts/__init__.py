"""People and programs that use the web desk: accounts, passwords, login throttling,
API tokens, and the one scope function that says what each may see and change."""
