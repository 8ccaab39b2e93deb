"""HR basics: the unit tree, positions, people, accounts and role grants."""
