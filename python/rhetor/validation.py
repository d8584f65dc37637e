"""Outlet rates corrected by a hand-labelled validation sample.

:func:`compare` is ``rhetor compare --gold`` for pandas: the classifier's flags
on every sentence (the naive rate), the rate from the labels alone, and the
prediction-powered (PPI++) rate, per group and labelled device, with the same
estimators as the command line (docs/compare.md, "Validating against human
coding").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, List, Optional, Sequence, Union

from ._rhetor import gold_columns as _gold_columns
from ._rhetor import ppi_group as _ppi_group

if TYPE_CHECKING:  # pragma: no cover
    import pandas

# The gold columns of `compare.csv`, from the library (`compare::output::GOLD_COLUMNS`).
_GOLD_COLUMNS = list(_gold_columns())


def _flags(frame: "pandas.DataFrame", measure: str, framing_threshold: float):
    """True where the classifier flags ``measure`` in each row of ``frame``."""
    if measure == "framing":
        if "framing" not in frame.columns:
            raise ValueError("the frame has no `framing` column (a rhetor score or batch output has one)")
        return frame["framing"].astype(float) >= framing_threshold
    if "flagged" not in frame.columns:
        raise ValueError("the frame has no `flagged` column (a rhetor score or batch output has one)")
    return frame["flagged"].fillna("").astype(str).map(
        lambda v: measure in [d.strip() for d in v.split(";")]
    )


def _label(value, row: int, column: str) -> Optional[bool]:
    """A label cell: 1/0 (or True/False), empty/NaN for "not labelled"."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    text = str(value).strip().lower()
    if text == "":
        return None
    if text in ("1", "1.0", "true", "yes"):
        return True
    if text in ("0", "0.0", "false", "no"):
        return False
    raise ValueError(
        f"gold row {row}, column `{column}`: `{value}` is not a label "
        "(write 1, 0, or leave it empty for \"not labelled\")"
    )


def compare(
    frame: "pandas.DataFrame",
    by: Union[str, Sequence[str]] = "outlet",
    gold: Optional["pandas.DataFrame"] = None,
    devices: Optional[Sequence[str]] = None,
    *,
    framing_threshold: float = 0.5,
    level: float = 0.95,
) -> "pandas.DataFrame":
    """Rates per group (per 100 sentences), corrected by a labelled sample.

    ``frame`` holds one row per sentence, as ``rhetor.score`` returns or as
    ``rhetor batch`` writes ``sentences.csv``: ``article_id``, ``sentence_index``,
    the ``by`` columns, ``framing`` and ``flagged``. ``gold`` is the coded
    sample (``rhetor sample``'s file with 0/1 filled in): ``article_id``,
    ``sentence_index``, ``inclusion_probability`` (1 when absent) and one column
    per labelled device, ``framing``, or label of the model's own codebook (a
    column the frame has as a probability column, as ``rhetor batch`` writes
    one per label); empty cells are "not labelled".

    Returns one row per group × device: ``articles``, ``sentences``,
    ``flagged_sentences``, ``rate_per_100`` (the naive rate) and, with ``gold``,
    the columns of ``rhetor compare --gold``'s ``compare.csv``: ``gold_rate`` and
    ``ppi_rate`` with their intervals, ``n_gold``, ``precision``, ``recall``,
    ``articles_to_halve_ci``. Without ``gold``, ``devices`` (default ``framing``)
    names the devices to report.
    """
    import pandas as pd

    keys: List[str] = [by] if isinstance(by, str) else list(by)
    for column in ["article_id", "sentence_index", *keys]:
        if column not in frame.columns:
            raise ValueError(f"the frame has no `{column}` column")
    if gold is not None:
        for column in ("article_id", "sentence_index"):
            if column not in gold.columns:
                raise ValueError(f"the gold frame has no `{column}` column")
        labelled = [
            c
            for c in gold.columns
            if c == "framing" or c in _device_ids() or _is_own_label(frame, c, keys)
        ]
        if devices is not None:
            labelled = [c for c in labelled if c in devices]
        if not labelled:
            raise ValueError(
                "the gold frame has no label column (`framing`, a device id, "
                "or a label of the model's own that the frame has a probability column for)"
            )
        measures = labelled
    else:
        measures = list(devices) if devices is not None else ["framing"]
    sentences = frame.copy()
    sentences["article_id"] = sentences["article_id"].astype(str)
    sentences["sentence_index"] = sentences["sentence_index"].astype(int)
    index = {
        (a, i): n
        for n, (a, i) in enumerate(zip(sentences["article_id"], sentences["sentence_index"]))
    }
    if gold is not None:
        gold = gold.reset_index(drop=True)
        positions = []
        for row, (a, i) in enumerate(zip(gold["article_id"].astype(str), gold["sentence_index"])):
            key = (a, int(i))
            if key not in index:
                raise ValueError(
                    f"gold row {row}: sentence {int(i)} of article `{a}` is not in the frame"
                )
            positions.append(index[key])
        probabilities = (
            gold["inclusion_probability"].astype(float).tolist()
            if "inclusion_probability" in gold.columns
            else [1.0] * len(gold)
        )
    rows = []
    for measure in measures:
        flags = _flags(sentences, measure, framing_threshold)
        sentences["_flag"] = flags.astype(int)
        if gold is not None:
            cells = [_label(v, r, measure) for r, v in enumerate(gold[measure].tolist())]
            gold_flags = flags.iloc[positions].tolist() if positions else []
        for key, group in sentences.groupby(keys, sort=True, dropna=False):
            key = key if isinstance(key, tuple) else (key,)
            per_article = group.groupby("article_id", sort=False)["_flag"].agg(["size", "sum"])
            row = dict(zip(keys, key))
            row.update(
                device=measure,
                articles=len(per_article),
                sentences=int(per_article["size"].sum()),
                flagged_sentences=int(per_article["sum"].sum()),
            )
            row["rate_per_100"] = 100.0 * row["flagged_sentences"] / max(row["sentences"], 1)
            if gold is not None:
                members = set(group.index)
                picked = [
                    j
                    for j in range(len(gold))
                    if cells[j] is not None and sentences.index[positions[j]] in members
                ]
                stats = _ppi_group(
                    per_article["size"].astype(int).tolist(),
                    per_article["sum"].astype(int).tolist(),
                    [str(gold["article_id"].iloc[j]) for j in picked],
                    [probabilities[j] for j in picked],
                    [bool(cells[j]) for j in picked],
                    [bool(gold_flags[j]) for j in picked],
                    level,
                )
                row.update({c: stats[c] for c in _GOLD_COLUMNS})
            rows.append(row)
    columns = keys + ["device", "articles", "sentences", "flagged_sentences", "rate_per_100"]
    if gold is not None:
        columns += _GOLD_COLUMNS
    return pd.DataFrame(rows, columns=columns)


# Columns of a sentence frame that are never labels.
_NOT_LABELS = {
    "article_id", "sentence_index", "paragraph", "start", "end", "byte_start", "byte_end",
    "attributed", "text", "framing", "flagged", "cues", "spans", "title", "outlet", "date",
}


def _is_own_label(frame: "pandas.DataFrame", column: str, keys: Sequence[str]) -> bool:
    """True when ``column`` is a label of a codebook's own model: the frame
    has it as a probability column (as ``rhetor batch`` writes one per label)."""
    import pandas as pd

    if column in _NOT_LABELS or column in keys or column not in frame.columns:
        return False
    return pd.api.types.is_numeric_dtype(frame[column])


def _device_ids() -> List[str]:
    from ._rhetor import device_ids

    return list(device_ids())
