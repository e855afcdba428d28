"""Shared by the public tests and the autograder's hidden tests: the manifest,
case builders and checks whose failure messages teach."""
