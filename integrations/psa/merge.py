"""The three-way field comparison of bi-directional sync.

`base` is what both sides agreed on at the last sync; a side "changed" a field when
its value differs from the base. Ownership decides the direction: an owned field
takes the owner's value (the other side's edit is put back), a field owned by "both"
takes the changed side's value, and a field changed on both sides to different
values becomes a conflict: neither side is written until a person chooses.
Values are compared in their normal form (mapping.norm)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass
class Outcome:
    to_ours: dict[str, str] = field(default_factory=dict)
    to_theirs: dict[str, str] = field(default_factory=dict)
    base: dict[str, str] = field(default_factory=dict)  # the new base (pushed fields only after the push)
    pushed_base: dict[str, str] = field(default_factory=dict)  # base values once the push succeeded
    conflicts: list[tuple[str, str, str, str]] = field(default_factory=list)  # field, ours, theirs, base
    settled: set[str] = field(default_factory=set)  # fields whose open conflict the values resolved

    @property
    def changed(self) -> bool:
        return bool(self.to_ours or self.to_theirs or self.conflicts)


def three_way(*, fields: Iterable[str], ours: dict, theirs: dict, base: dict, owner: Callable[[str], str],
              open_conflicts: set[str] = frozenset()) -> Outcome:
    out = Outcome(base=dict(base))
    for name in fields:
        o, t, b = ours.get(name, ""), theirs.get(name, ""), base.get(name, "")
        if name in open_conflicts:
            if o == t:  # the values met (someone fixed it by hand on one side)
                out.settled.add(name)
                out.base[name] = o
            continue
        if o == t:
            out.base[name] = o
            continue
        o_changed, t_changed = o != b, t != b
        rule = owner(name)
        if rule == "psa":
            out.to_ours[name] = t
            out.base[name] = t
        elif rule == "opsmerge":
            out.to_theirs[name] = o
            out.pushed_base[name] = o
        elif o_changed and t_changed:
            out.conflicts.append((name, o, t, b))
        elif t_changed:
            out.to_ours[name] = t
            out.base[name] = t
        else:
            out.to_theirs[name] = o
            out.pushed_base[name] = o
    return out
