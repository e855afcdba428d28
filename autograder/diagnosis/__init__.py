"""Feedback that names the mistake: which catalogued bug a failed check behaves like.

- `Diagnoser` (hidden tests): replays a failed check with each bug of its part, in this trusted
  process, and names the bugs whose run is alike the submission's.
- `export` (public tests): records the runs of the public bugs on the public checks into
  tests/support/known_mistakes.json, which the public tests compare a failed check with.

Where no bug matches, the checks' own messages still say what is wrong in kind (tests.support.checks).
"""

from autograder.diagnosis.diagnoser import Diagnoser, Diagnosis, arguments_of, behaves_alike

__all__ = ["Diagnoser", "Diagnosis", "arguments_of", "behaves_alike"]
