"""Proof that the hidden tests catch every bug of the catalog and pass every alternative."""
