"""What an experiment holds: its artifacts' names and sizes, from one listing of its folder.

The listing shows user artifacts, lab-workbook's own objects (the reserved folder) and,
while a run is going, its series' segments. Only this module turns those keys into
artifacts, so ``lab-workbook show``, ``get``, the dashboard and ``exp[:]`` agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lab_workbook_core import ObjectInfo
from lab_workbook_core.keys import is_reserved, parse_segment_key

__all__ = ["ArtifactInfo", "artifacts_of"]


@dataclass(frozen=True)
class ArtifactInfo:
    """One artifact of an experiment.

    Attributes:
        name: the artifact's name (``Training loss.csv``, ``samples/step-00000001.png``).
        size: its size in bytes; for a series still in segments, the segments' total so far.
        in_segments: a series of a running run not merged yet: it exists only as segments,
            which the reader assembles when it is read or downloaded.
    """

    name: str
    size: int
    in_segments: bool = False


def artifacts_of(tag: str, objects: Iterable[ObjectInfo]) -> list[ArtifactInfo]:
    """The artifacts among the objects listed under ``<tag>/``, sorted by name.

    Folder markers (keys ending in ``/``) and the reserved folder are not artifacts; a
    series with segments and its merged object (for the moment between the writer's
    merge and its deletion of the segments) is the merged object.
    """
    start = len(tag) + 1
    whole: dict[str, int] = {}
    segmented: dict[str, int] = {}
    for info in objects:
        segment = parse_segment_key(tag, info.key)
        if segment is not None:
            segmented[segment[0]] = segmented.get(segment[0], 0) + info.size
            continue
        name = info.key[start:]
        if name and not name.endswith("/") and not is_reserved(name):
            whole[name] = info.size
    found = [ArtifactInfo(name, size) for name, size in whole.items()]
    found += [ArtifactInfo(name, size, in_segments=True) for name, size in segmented.items() if name not in whole]
    return sorted(found, key=lambda artifact: artifact.name)
