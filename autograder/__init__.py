"""The kit's tooling: the single-source build and the sandboxed autograder."""
