"""Type stubs of the native module ``rhetor._rhetor`` (use the ``rhetor`` package instead)."""

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

__version__: str

class RhetorError(ValueError):
    """An error from rhetor (bad input, a model that cannot be loaded); the message is the CLI's."""

class NativeScorer:
    def __init__(
        self, model: str = "default", threads: Optional[int] = None, engine: str = "auto"
    ) -> None: ...
    @property
    def model(self) -> str: ...
    @property
    def warnings(self) -> List[str]: ...
    @property
    def columns(self) -> List[str]: ...
    @property
    def labels(self) -> List[Dict[str, str]]: ...
    def score_columns(
        self,
        texts: Sequence[Union[str, bytes]],
        ids: Optional[Sequence[Union[str, int]]] = None,
        lines: bool = False,
        lossy: bool = False,
        skip_errors: bool = False,
        titles: Optional[Sequence[Optional[str]]] = None,
    ) -> Tuple[List[str], List[List[Any]], List[int], List[str]]: ...

def ppi_group(
    sentences: Sequence[int],
    flagged: Sequence[int],
    label_article: Sequence[str],
    label_probability: Sequence[float],
    label: Sequence[bool],
    label_flagged: Sequence[bool],
    level: float = 0.95,
) -> Dict[str, Any]: ...
def device_ids() -> List[str]: ...
def gold_columns() -> List[str]: ...
