"""The kit\x27s own tests (not shipped to students)."""
