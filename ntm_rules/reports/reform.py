"""The history across the reform of 1 July 2025, as text: which old communes of a province are now
part of which commune, and, for one commune, the commune of today it is part of or the old ones it
was made of. They read what `ntm_rules.history` returns (Province, Commune), never the database."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..words.catalogue import WORDS

if TYPE_CHECKING:
    from ..history import Commune, Province


def reform_text(p: Province, lang: str = "vi") -> str:
    """A province's section: "Xã La Hiên ← Xã Cúc Đường, Xã La Hiên" per commune of today."""
    W = WORDS[lang]
    if not p.reform and not p.today and not p.provinces_before:
        return ""
    lines = ["", f"{W['reform_title']}:"]
    if p.today:
        lines.append("  " + W["province_now_part"].format(province=p.today))
    if p.provinces_before:
        lines.append(f"  {W['provinces_before']}: {', '.join(p.provinces_before)}")
    for m in p.reform:
        where = f" ({m.today.province})" if m.today.province and m.today.province != p.name else ""
        olds = ", ".join(c.name + (f" ({c.province})" if c.province and c.province != p.name else "")
                         + (f" ({W['divided_between']}: {', '.join(c.parts)})" if c.parts else "") for c in m.communes)
        lines.append(f"  {m.today.name}{where} ← {olds}")
    return "\n".join(lines) + "\n"


def links_text(c: Commune, lang: str = "vi") -> str:
    """A commune's lines across the reform, and the names its rows wrote when not its official one."""
    W = WORDS[lang]
    lines = []
    written = [w for w in c.written if w != c.name]
    if written:
        lines.append(f"  {W['written_as']}: {'; '.join(written)}")
    if c.today is not None:
        parts = f" ({W['divided_between']}: {', '.join(c.today.parts)})" if c.today.parts else ""
        lines.append(f"  {W['now_part_of']}: {c.today.name} ({c.today.province}){parts}")
    if c.before:
        lines.append(f"  {W['made_of']}: " + ", ".join(f"{b.name} ({b.province})" for b in c.before))
    return "\n".join(lines) + "\n" if lines else ""
