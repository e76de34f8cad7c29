"""Is a new opinion the same matter as open ones? The digests' own similarity decides.

A new text and the open opinions of its sub-district are clustered together exactly as a
digest would cluster them (`cluster_texts`: wording, problem and place); the open opinions
that land in the new text's cluster are "the same matter". Using the digest's measure means
a resident is offered to join exactly the group members will see.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.clustering import cluster_texts
from bot.domain.district import District

#: Shorter texts say too little to be matched ("停车难" is many matters).
MIN_CHARS = 6


def same_matter(text: str, others: Sequence[str], district: District | None = None) -> list[int]:
    """Indices into `others` of the texts in the same cluster as `text` (empty: none)."""
    if len(text.strip()) < MIN_CHARS or not others:
        return []
    for cluster in cluster_texts([text, *others], district=district):
        if 0 in cluster.members:
            return [i - 1 for i in cluster.members if i != 0]
    return []
