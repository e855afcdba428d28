"""The bug catalog: typical learner mistakes and correct alternatives, as edits of the reference.

    from autograder.catalog import BUGS, ALTERNATIVES, make_submission
    make_submission("affine.dx_not_reshaped", Path("out/sub"))   # a folder to grade

Each bug names its part (the prefix of its id), says what is wrong, and carries a hint that
teaches without giving code away. Each alternative is a correct implementation written
differently. Both are edits of `solutions/backprop/` (see `variants`), so the catalog follows the
reference and fails loudly when an edit no longer fits. `autograder/tests/catalog/` proves that
the hidden tests catch every bug in its own part and give every alternative full marks.
"""

from pathlib import Path

from autograder.catalog.alternatives import ALTERNATIVES
from autograder.catalog.bugs import BUGS
from autograder.catalog.variants import Alternative, Bug, CatalogError, Edit, Replace, Variant, write_submission

__all__ = [
    "ALTERNATIVES", "BUGS", "Alternative", "Bug", "CatalogError", "Edit", "Replace", "Variant", "find",
    "make_submission",
]


def find(variant_id: str) -> Variant:
    """The bug or alternative with this id; KeyError naming the id otherwise."""
    for variant in (*BUGS, *ALTERNATIVES):
        if variant.id == variant_id:
            return variant
    raise KeyError(f"no bug or alternative {variant_id!r} in the catalog")


def make_submission(variant: Variant | str, dest_folder: Path) -> Path:
    """Write the submission folder of a bug or an alternative (by object or id) and return it.

    It holds every file a student edits (grading.toml's `editable`), copied from the reference
    with the variant's edits applied.
    """
    return write_submission(find(variant) if isinstance(variant, str) else variant, Path(dest_folder))
