"""rhetor — finds rhetorical framing devices in news text, sentence by sentence.

Score a list of articles into a pandas DataFrame, one row per sentence, with the
same columns, names, types and values as ``rhetor score --format csv``::

    >>> import rhetor
    >>> df = rhetor.score(["Let us notice that the minister is curious."], model="cues")
    >>> list(df.columns[:4])
    ['article_id', 'sentence_index', 'paragraph', 'start']

Load a model once and score many batches with :class:`Scorer` (the fast path)::

    >>> scorer = rhetor.Scorer("cues")
    >>> rows = scorer.score_records(["Rain fell. Let's notice that the minister is silent."])
    >>> rows[1]["flagged"]
    'editorial_aside'

Columns (see README.md, "Output schema"): ``article_id`` (str: pandas' string dtype,
``object`` before pandas 3), ``sentence_index``,
``paragraph``, ``start``, ``end``, ``byte_start``, ``byte_end`` (int64), ``attributed``
(bool), ``text`` (str), ``framing`` (float64), ``flagged`` (str, ``;``-separated device
ids, empty when none), one float64 column per device, ``cues`` (str, a JSON array).
Probabilities are the CLI's printed values (4 decimals) as floats, so
``pandas.read_csv(cli_output, dtype={"article_id": str}, keep_default_na=False)``
equals the DataFrame.

Articles are checked as ``rhetor score`` checks a file: an empty (or whitespace-only)
article, one with NUL bytes in its first 8 KiB, a line over 1 MiB or, for ``bytes``,
invalid UTF-8 is an error (:class:`RhetorError`, with the CLI's message, the article id
in place of the file name) — or, with ``errors="warn"``, a :class:`RhetorWarning` and no
rows for that article, as the CLI goes on with the next file.

pandas is needed only by the DataFrame functions (:func:`score`, :meth:`Scorer.score`,
:meth:`Scorer.score_frame`); it is imported when they are first called.
"""

from __future__ import annotations

import functools
import os
import warnings
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Sequence, Union

from ._rhetor import NativeScorer as _NativeScorer
from ._rhetor import RhetorError
from ._rhetor import __version__
from .validation import compare

if TYPE_CHECKING:  # pragma: no cover
    import pandas

__all__ = [
    "RhetorError",
    "RhetorWarning",
    "Scorer",
    "compare",
    "score",
    "score_records",
    "shared_scorer",
    "__version__",
]

Text = Union[str, bytes]
Id = Union[str, int]
Title = Optional[str]

# Column types of the output (the others are device probabilities, float64).
_STR_COLUMNS = ("article_id", "text", "flagged", "cues", "spans")
_INT_COLUMNS = ("sentence_index", "paragraph", "start", "end", "byte_start", "byte_end")
_BOOL_COLUMNS = ("attributed",)

# score_frame's default id: the `id` column when the frame has one, else its index.
_ID_OR_INDEX = "id"


class RhetorWarning(UserWarning):
    """A warning from rhetor: a model fell back to the cue model, an article was skipped."""


def _dtype(column: str) -> Any:
    if column in _STR_COLUMNS:
        return str  # pandas' string dtype: `object` before pandas 3, `str` from 3 on
    if column in _INT_COLUMNS:
        return "int64"
    if column in _BOOL_COLUMNS:
        return "bool"
    return "float64"


def _check_errors(errors: str) -> bool:
    if errors not in ("raise", "warn"):
        raise ValueError(f"errors must be 'raise' or 'warn', not {errors!r}")
    return errors == "warn"


class Scorer:
    """A loaded rhetor model; load once, score many batches.

    Args:
        model: ``"default"`` (the shipped transformer; it falls back to the cue model
            with a :class:`RhetorWarning` when its base weights are missing, exactly as
            the CLI does), ``"cues"``, ``"baseline"``, or the path of a model folder.
            Resolved like ``rhetor score --model``, with the same environment variables
            (``RHETOR_MODELS_DIR``, ``RHETOR_BASE_DIR``, ``RHETOR_BASE_HF``, …).
        threads: scoring threads (articles are scored in parallel and the
            transformer parallelises within a batch); ``None`` uses every core.
        engine: the transformer's inference engine, ``"auto"``, ``"int8"`` or
            ``"float"`` (``rhetor score --engine``).

    Raises:
        RhetorError: the model cannot be loaded (the CLI's message).
        ValueError: a bad ``threads`` or ``engine``.

    The model is loaded and articles are scored with the GIL released, so other
    Python threads keep running.
    """

    def __init__(
        self,
        model: Union[str, "os.PathLike[str]"] = "default",
        threads: Optional[int] = None,
        engine: str = "auto",
    ) -> None:
        if not isinstance(model, (str, os.PathLike)):
            raise TypeError(f"model must be a str or a path, not {type(model).__name__}")
        if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int)):
            raise TypeError(f"threads must be an int or None, not {type(threads).__name__}")
        self._native = _NativeScorer(os.fspath(model), threads, engine)
        for message in self._native.warnings:
            warnings.warn(message, RhetorWarning, stacklevel=2)

    @property
    def model(self) -> str:
        """The loaded model's name (``cues``, ``baseline``, ``rhetor-minilm``, …)."""
        return self._native.model

    @property
    def warnings(self) -> List[str]:
        """Warnings from loading (e.g. the fallback of the default model)."""
        return self._native.warnings

    @property
    def columns(self) -> List[str]:
        """The output columns, as in ``rhetor score --format csv``."""
        return self._native.columns

    @property
    def labels(self) -> List[Dict[str, str]]:
        """The model's labels in column order, each ``{"name", "definition", "level"}``:
        the ``label_set`` its folder's config.json declares, or the 18 shipped devices."""
        return self._native.labels

    def __repr__(self) -> str:
        return f"rhetor.Scorer(model={self.model!r})"

    def _score(
        self,
        texts: Sequence[Text],
        ids: Optional[Sequence[Id]],
        lines: bool,
        lossy: bool,
        errors: str,
        titles: Optional[Sequence[Title]] = None,
    ):
        skip = _check_errors(errors)
        columns, values, positions, skipped = self._native.score_columns(
            texts, ids, bool(lines), bool(lossy), skip, titles
        )
        for message in skipped:
            warnings.warn(f"skipped article: {message}", RhetorWarning, stacklevel=3)
        return columns, values, positions

    def score_records(
        self,
        texts: Sequence[Text],
        ids: Optional[Sequence[Id]] = None,
        lines: bool = False,
        *,
        lossy: bool = False,
        errors: str = "raise",
        titles: Optional[Sequence[Title]] = None,
    ) -> List[Dict[str, Any]]:
        """Scores articles; returns one dict per sentence (no pandas needed).

        Args:
            texts: the articles, a list of ``str`` (or UTF-8 ``bytes``, decoded as
                ``rhetor score`` decodes a file).
            ids: one id per article (``str`` or ``int``, written as text); default
                ``"0"``, ``"1"``, … (the position in ``texts``).
            lines: treat every non-empty line as one sentence (``rhetor score --lines``).
            lossy: replace invalid UTF-8 in ``bytes`` with U+FFFD (``--lossy``).
            errors: ``"raise"`` (default): a bad article raises :class:`RhetorError`;
                ``"warn"``: it is skipped with a :class:`RhetorWarning`.
            titles: one title (``str``, or ``None``) per article, passed to the model
                as context as ``rhetor batch`` passes a corpus's title column (only
                models trained with title context use it; a blank title is none).

        Returns:
            One dict per sentence, keys in the order of :attr:`columns`.
        """
        columns, values, _ = self._score(texts, ids, lines, lossy, errors, titles)
        return [dict(zip(columns, row)) for row in zip(*values)]

    def score(
        self,
        texts: Sequence[Text],
        ids: Optional[Sequence[Id]] = None,
        lines: bool = False,
        *,
        lossy: bool = False,
        errors: str = "raise",
        titles: Optional[Sequence[Title]] = None,
    ) -> "pandas.DataFrame":
        """Scores articles; returns a DataFrame with one row per sentence.

        The columns, names, dtypes and values are those of ``rhetor score --format
        csv`` (see the module docstring). Arguments as in :meth:`score_records`.
        """
        columns, values, _ = self._score(texts, ids, lines, lossy, errors, titles)
        return _frame(columns, values)

    def score_frame(
        self,
        df: "pandas.DataFrame",
        text: str = "text",
        id: Optional[str] = _ID_OR_INDEX,
        keep: Iterable[str] = (),
        lines: bool = False,
        *,
        lossy: bool = False,
        errors: str = "raise",
        title: Optional[str] = None,
    ) -> "pandas.DataFrame":
        """Scores a DataFrame of articles; returns one row per sentence.

        Args:
            df: one article per row.
            text: the column with the article text.
            id: the column with the article id, written as text into ``article_id``.
                ``"id"`` (the default) falls back to ``df``'s index when ``df`` has no
                ``id`` column; ``None``: the index. Another missing column is a ``KeyError``.
            keep: columns of ``df`` copied onto each sentence row of their article,
                right after ``article_id`` (with their dtypes). A kept column whose
                name is an output column is renamed ``input_<name>``, as ``rhetor
                batch`` does.
            lines, lossy, errors: as in :meth:`score_records`.
            title: a column with the article titles, passed to the model as context
                (``titles`` in :meth:`score_records`); ``None``: no titles.
        """
        pd = _pandas()
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"df must be a pandas.DataFrame, not {type(df).__name__}")
        keep = [keep] if isinstance(keep, str) else list(keep)
        by_index = id is None or (id == _ID_OR_INDEX and id not in df.columns)
        titled = [] if title is None else [title]
        for column in [text, *keep, *titled] + ([] if by_index else [id]):
            if column not in df.columns:
                found = ", ".join(map(str, df.columns))
                raise KeyError(f"no column `{column}` in the DataFrame (columns: {found})")
        if by_index:
            ids = [str(v) for v in df.index.tolist()]
        else:
            ids = [str(v) for v in df[id].tolist()]
        titles = None
        if title is not None:
            titles = [None if pd.isna(t) else str(t) for t in df[title].tolist()]
        columns, values, positions = self._score(
            df[text].tolist(), ids, lines, lossy, errors, titles
        )
        out = _frame(columns, values)
        if keep:
            kept = df[keep].iloc[positions].reset_index(drop=True)
            kept.columns = [f"input_{c}" if c in columns else c for c in keep]
            for offset, name in enumerate(kept.columns):
                out.insert(1 + offset, name, kept[name])
        return out


def _pandas():
    try:
        import pandas
    except ImportError as e:  # pragma: no cover
        raise ImportError(
            "rhetor's DataFrame functions need pandas (pip install pandas); "
            "score_records() works without it"
        ) from e
    return pandas


def _frame(columns: List[str], values: List[list]) -> "pandas.DataFrame":
    pd = _pandas()
    return pd.DataFrame(
        {c: pd.Series(v, dtype=_dtype(c)) for c, v in zip(columns, values)},
        columns=columns,
    )


@functools.lru_cache(maxsize=8)
def _cached(model: str) -> Scorer:
    return Scorer(model)


@functools.lru_cache(maxsize=8)
def _shared(model: str, threads: Optional[int], engine: str) -> Scorer:
    return Scorer(model, threads, engine)


def shared_scorer(
    model: Union[str, "os.PathLike[str]"] = "default",
    threads: Optional[int] = None,
    engine: str = "auto",
) -> Scorer:
    """The process's :class:`Scorer` for these arguments, loaded on the first call.

    For the workers of Spark, Dask and the like: a function shipped to them is
    usually pickled *by value* (with its own copy of any module-level cache), so
    a cache in the job's script is empty in every task. This one lives in the
    installed package, so each worker process loads the model once and reuses it
    for every partition it scores (up to 8 argument combinations are kept).
    """
    if not isinstance(model, (str, os.PathLike)):
        raise TypeError(f"model must be a str or a path, not {type(model).__name__}")
    return _shared(os.fspath(model), threads, engine)


def _scorer(model: Union[str, "os.PathLike[str]"]) -> Scorer:
    if not isinstance(model, (str, os.PathLike)):
        raise TypeError(f"model must be a str or a path, not {type(model).__name__}")
    return _cached(os.fspath(model))


def score(
    texts: Sequence[Text],
    ids: Optional[Sequence[Id]] = None,
    model: Union[str, "os.PathLike[str]"] = "default",
    lines: bool = False,
    *,
    lossy: bool = False,
    errors: str = "raise",
    titles: Optional[Sequence[Title]] = None,
) -> "pandas.DataFrame":
    """Scores articles with ``model``; one DataFrame row per sentence.

    The same as ``Scorer(model).score(texts, ids, lines)``; the loaded model is kept
    for the next call with the same ``model`` (up to 8 models). See :meth:`Scorer.score`.
    """
    return _scorer(model).score(texts, ids, lines, lossy=lossy, errors=errors, titles=titles)


def score_records(
    texts: Sequence[Text],
    ids: Optional[Sequence[Id]] = None,
    model: Union[str, "os.PathLike[str]"] = "default",
    lines: bool = False,
    *,
    lossy: bool = False,
    errors: str = "raise",
    titles: Optional[Sequence[Title]] = None,
) -> List[Dict[str, Any]]:
    """Scores articles with ``model``; one dict per sentence (no pandas needed).

    See :meth:`Scorer.score_records`.
    """
    return _scorer(model).score_records(
        texts, ids, lines, lossy=lossy, errors=errors, titles=titles
    )
