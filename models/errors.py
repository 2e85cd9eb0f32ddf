"""Domain errors of the engine. Free of any web framework."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["CalibrationError", "FieldError", "Path", "ScenarioError", "pointer"]

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of a scenario.

    Attributes
    ----------
    path : tuple of str or int
        Keys and list indexes from the scenario's root to the field, e.g.
        ``("offsets", "scaap_reimbursement_rate")``. Empty for the whole scenario.
    reason : str
        What is wrong, in plain words.
    """

    path: Path
    reason: str

    @property
    def field(self) -> str:
        """The dotted name of the field (``offsets.scaap_reimbursement_rate``)."""
        return dotted(self.path)

    @property
    def pointer(self) -> str:
        """The RFC 6901 JSON pointer to the field (``/offsets/scaap_reimbursement_rate``)."""
        return pointer(self.path)


def pointer(path: Path) -> str:
    """RFC 6901 JSON pointer of a path: ``("a/b", 2)`` -> ``/a~1b/2``; ``()`` -> ``""``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def dotted(path: Path) -> str:
    """Render a path as ``a.b[2].c``; the root is ``(scenario)``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(scenario)"


class ScenarioError(ValueError):
    """An invalid scenario. Carries every problem found, each naming its field.

    Parameters
    ----------
    errors : sequence of FieldError
        At least one problem.
    """

    def __init__(self, errors: Sequence[FieldError]) -> None:
        if not errors:
            raise TypeError("ScenarioError needs at least one FieldError")
        self.errors: tuple[FieldError, ...] = tuple(errors)
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in self.errors))

    @classmethod
    def single(cls, path: Path, reason: str) -> ScenarioError:
        """Build an error with one problem."""
        return cls([FieldError(tuple(path), reason)])

    @property
    def field(self) -> str:
        """The dotted name of the first offending field."""
        return self.errors[0].field


class CalibrationError(ScenarioError):
    """Booking records that cannot be calibrated from. Each problem names its row and
    column (``("rows", 17, "BOOKING_DT")``: the 18th data row, the county's column name),
    or the records as a whole (``("rows",)``)."""
