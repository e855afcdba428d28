"""Tests of the grading pipeline: stage, run, collect, score, report, and grading end to end."""
