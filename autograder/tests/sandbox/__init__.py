"""Tests of the sandboxed worker: codec, client and worker, on tiny fake packages."""
