"""Hostile submissions: each test submits code that attacks the grader and checks the outcome."""
