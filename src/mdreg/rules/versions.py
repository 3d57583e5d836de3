"""版本 — the earlier versions of a rule the 执业医师法 carried over to the 医师法.

Several rules have the same history: the 执业医师法 (1999-05-01 – 2022-02-28) set them, the 2017
registration measures restated them from 2017-04-01, and the 医师法 replaced the 1998 law on
2022-03-01. The rule's class is its current version (3), citing the 医师法 and the 2017
measures; :func:`before_2022` makes versions 1 and 2 from it, with the citations of their time
and the same checks.

>>> from mdreg.rules.refusal import FullCivilCapacity
>>> first, second = before_2022(FullCivilCapacity, "第十五条第一项", "第六条第一项")
>>> first, first.period(), [str(c) for c in second.citations]
(<FullCivilCapacityV1 refusal.civil_capacity v1>, '1999-05-01 – 2017-03-31', \
['《中华人民共和国执业医师法》第十五条第一项', '《医师执业注册管理办法》第六条第一项'])
"""

from __future__ import annotations

from typing import Any

from mdreg.rules.base import Citation, Rule
from mdreg.rules.citations import PRACTISING_PHYSICIANS_LAW, REGISTRATION_MEASURES, before


def before_2022(rule: type[Rule[Any]], law_article: str, measures_article: str
                ) -> tuple[Rule[Any], Rule[Any]]:
    """Versions 1 and 2 of ``rule``: version 1 cites 执业医师法 ``law_article`` alone and ends
    the day before the 2017 measures; version 2 adds the measures' ``measures_article`` and ends
    with the 执业医师法 (2022-02-28)."""
    law = PRACTISING_PHYSICIANS_LAW.article(law_article, "S2")
    measures = REGISTRATION_MEASURES.article(measures_article, "S3")
    first = _version(rule, 1, (law,), effective_until=before(REGISTRATION_MEASURES))
    return first(), _version(rule, 2, (law, measures))()


def _version(rule: type[Rule[Any]], version: int, citations: tuple[Citation, ...],
             **declared: Any) -> type[Rule[Any]]:
    name = f"{rule.__name__}V{version}"
    cited = "; ".join(str(c) for c in citations)
    return type(name, (rule,), {
        "__module__": rule.__module__, "__qualname__": name,
        "__doc__": f"{rule.__name__}, version {version}: {cited}.",
        "version": version, "citations": citations, **declared,
    })
