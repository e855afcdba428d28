"""Tests of the diagnosis: traces and their comparison, the kinds of wrongness checks name, bug
packages loaded in process, the local worker, and the public catalog's export."""
