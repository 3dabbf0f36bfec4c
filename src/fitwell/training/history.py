"""The per-epoch record of a training run."""

from __future__ import annotations

import csv
import io
import math

from .._files import write_text
from ..errors import ParameterError

__all__ = ["History"]

COLUMNS = ("epoch", "train_loss", "val_loss", "train_score", "val_score", "lr", "time")


class History:
    """Per-epoch metrics of one training run.

    Each epoch records ``train_loss`` (mean data loss over the epoch's batches,
    without penalties — the trainer keeps the penalised objective in
    ``Trainer.objective_curve``), ``val_loss``, ``train_score`` and ``val_score``
    (accuracy for classifiers, R² for regressors; ``nan`` when not computed), the learning rate
    ``lr`` at the end of the epoch and the wall ``time`` in seconds the epoch took.

    ``history["val_loss"]`` returns one column as a list; :meth:`to_dict` all of
    them; :meth:`to_csv` writes them as CSV.
    """

    columns = COLUMNS

    def __init__(self):
        self._rows: list[dict] = []

    def append(self, **values) -> None:
        unknown = set(values) - set(COLUMNS)
        if unknown:
            raise ParameterError(f"History: unknown columns {sorted(unknown)}; known: {COLUMNS}")
        row = {name: math.nan for name in COLUMNS}
        row["epoch"] = len(self._rows) + 1
        row.update(values)
        self._rows.append(row)

    def __len__(self):
        return len(self._rows)

    def __getitem__(self, column):
        if column not in COLUMNS:
            raise KeyError(f"History has no column {column!r}; columns: {', '.join(COLUMNS)}")
        return [row[column] for row in self._rows]

    def last(self, column):
        """The latest value of ``column`` (``nan`` before the first epoch)."""
        return self._rows[-1][column] if self._rows else math.nan

    def to_dict(self) -> dict[str, list]:
        """The history as a dict of equal-length lists, one per column."""
        return {column: self[column] for column in COLUMNS}

    def to_csv(self, path=None) -> str:
        """Write the history as CSV to ``path`` (if given, atomically) and return the text."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self._rows)
        text = buffer.getvalue()
        if path is not None:
            write_text(path, text, newline="")
        return text

    @classmethod
    def from_dict(cls, columns: dict) -> History:
        """Rebuild a history from :meth:`to_dict` output."""
        history = cls()
        n = len(columns.get("epoch", []))
        for i in range(n):
            history._rows.append({c: columns[c][i] for c in COLUMNS if c in columns})
        return history

    def best_epoch(self, monitor="val_loss", mode="min") -> int | None:
        """1-based epoch with the best finite ``monitor`` value, or ``None``."""
        values = [(v, i) for i, v in enumerate(self[monitor]) if v == v and math.isfinite(v)]
        if not values:
            return None
        pick = min if mode == "min" else max
        return self._rows[pick(values, key=lambda vi: vi[0])[1]]["epoch"]

    def __repr__(self):
        return f"History({len(self)} epochs)"
