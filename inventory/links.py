"""The URL of a row's page, for pages of 100 rows: reversed once per pattern, filled per row.

`reverse()` resolves the pattern, checks and quotes every argument (~25 µs); a 100-row
replenishment page reversed the SKU link 100 times. An integer primary key fills the same
pattern the same way, so the pattern is reversed once with a marker in its place.
"""

from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse

_MARK = 918273645  # stands for the pk while reversing once; never a real id in a URL


@lru_cache(maxsize=64)
def _around_pk(name: str, script_prefix: str, urlconf) -> tuple[str, str]:
    head, tail = reverse(name, args=[_MARK], urlconf=urlconf).split(str(_MARK))
    return head, tail


def pk_url(name: str, pk: int) -> str:
    """`reverse(name, args=[pk])` for a URL pattern taking one integer."""
    head, tail = _around_pk(name, get_script_prefix(), get_urlconf())
    return f"{head}{int(pk)}{tail}"
