"""The hidden tests: run by the autograder against a staged submission, never shipped to students."""
