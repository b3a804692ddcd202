"""The template sandbox: every failure inside a render is one `RenderFailed` naming its
cause, hostile templates meet a limit (size, steps, time) instead of the machine's, and two
renders in a row cannot see each other."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jinja2 import TemplateError

from bantin.content import limits
from bantin.content.render import RenderFailed, RenderInput, render
from bantin.content.sandbox import compile_template


def inp(
    source: str,
    *,
    kind: str = "post",
    vars: dict[str, Any] | None = None,
    extra: dict[str, str] | None = None,
) -> RenderInput:
    return RenderInput(
        campaign={"id": "thu", "title": "Thử", "kind": kind, "vars": vars or {}},
        templates={"t.j2": source, **(extra or {})},
        template_name="t.j2",
        channel={"name": "tep", "kind": "outbox"},
        unit={"code": "29641", "name": "Xã Hòa Minh", "kind": "xa"},
        agency={"code": "BAOVL", "name": "Báo Vĩnh Long", "name_en": None},
        task={"code": "1.1", "title": "Tuyên truyền", "group": "1"},
        plan={},
        due_at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
        timezone=ZoneInfo("Asia/Ho_Chi_Minh"),
    )


def failure(source: str, **kw: Any) -> RenderFailed:
    clock = kw.pop("clock", None)
    with pytest.raises(RenderFailed) as info:
        if clock is None:
            render(inp(source, **kw))
        else:
            render(inp(source, **kw), clock=clock)
    return info.value


def test_a_good_template_still_renders() -> None:
    assert render(inp("Chào {{ unit.short_name }}!")).body == "Chào Hòa Minh!"


def test_render_failed_is_a_template_error_so_dispatch_fails_the_publication() -> None:
    assert issubclass(RenderFailed, TemplateError)


@pytest.mark.parametrize(
    ("source", "cause"),
    [
        ("{{ 10 / 0 }}", "ZeroDivisionError"),
        ("{{ 1.5 ** 100000 }}", "OverflowError"),
        ("{{ 'a' + 1 }}", "TypeError"),
        ("{{ 'x' | int(default=none) + 1 }}", "TypeError"),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "RecursionError"),
        ("{{ vars.khong_co }}", "template needs `vars.khong_co`"),
    ],
)
def test_any_error_inside_a_render_is_one_render_failed_with_its_cause(
    source: str, cause: str
) -> None:
    exc = failure("Dòng một\n" + source)
    assert exc.message is not None and exc.message.startswith(f"render failed: {cause}")
    assert exc.template == "t.j2"
    assert exc.lineno == 2


def test_an_included_template_is_named_where_it_fails() -> None:
    exc = failure('{% include "con.j2" %}', extra={"con.j2": "a\nb\n{{ 1 // 0 }}"})
    assert (exc.template, exc.lineno) == ("con.j2", 3)


def test_a_huge_power_is_refused_before_it_is_computed() -> None:
    exc = failure("{{ 10 ** (10 ** 9) }}")
    assert "power" in str(exc.message) and f"{limits.MAX_INT_BITS} bits" in str(exc.message)


def test_a_huge_repetition_is_refused_before_it_is_built() -> None:
    exc = failure("{{ 'a' * 10 ** 9 }}")
    assert "over 512 KB for a post" in str(exc.message)


def test_a_list_repetition_counts_against_the_step_budget() -> None:
    exc = failure("{% for a in [0] * 90000 %}{% for b in [0] * 90000 %}{% endfor %}{% endfor %}")
    assert "steps" in str(exc.message)


def test_nested_empty_loops_are_bounded_by_the_step_budget() -> None:
    source = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    assert "steps" in str(failure(source).message)


def test_nested_loops_over_data_are_bounded_too() -> None:
    source = (
        "{% for a in vars.l %}{% for b in vars.l %}{% for c in vars.l %}"
        "{% endfor %}{% endfor %}{% endfor %}"
    )
    assert "steps" in str(failure(source, vars={"l": list(range(1000))}).message)


def fake_clock(step: float) -> Callable[[], float]:
    now = [0.0]

    def clock() -> float:
        now[0] += step
        return now[0]

    return clock


def test_render_time_is_bounded() -> None:
    exc = failure("{% for i in range(1000) %}{{ i }}{% endfor %}", clock=fake_clock(0.1))
    assert f"render exceeded {limits.RENDER_SECONDS:g} s" in str(exc.message)


def test_a_quick_render_is_within_its_time() -> None:
    text = render(inp("{% for i in range(5) %}{{ i }}{% endfor %}"), clock=fake_clock(0.01))
    assert text.body == "01234"


def test_output_is_capped_per_content_kind() -> None:
    source = "{% for i in range(2000) %}{{ 'ă' * 200 }}\n{% endfor %}"
    exc = failure(source)
    assert exc.message is not None and "output over 512 KB for a post" in exc.message
    assert render(inp(source, kind="article"), limits=False).body.count("ă") == 400_000


def test_growth_by_concatenation_is_refused() -> None:
    source = (
        "{% set ns = namespace(s='ab') %}{% for i in range(40) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}"
    )
    assert "over 512 KB for a post" in str(failure(source).message)


def test_output_accumulated_inside_a_macro_is_counted() -> None:
    source = (
        "{% set big = 'a' * 100000 %}{% macro m() %}{% for i in range(100000) %}{{ big }}"
        "{% endfor %}{% endmacro %}{{ m() | length }}"
    )
    assert "text built by the render over 2 MB for a post" in str(failure(source).message)


def test_literal_text_repeated_by_a_loop_is_counted() -> None:
    literal = "x" * 1000
    source = (
        f"{{% macro m() %}}{{% for i in range(100000) %}}{literal}{{% endfor %}}{{% endmacro %}}"
    )
    assert "over 2 MB for a post" in str(failure(source + "{{ m()|length }}").message)


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'a' | center(10 ** 9) }}",
        "{{ 'a'.ljust(10 ** 9) }}",
        "{{ [1, 2] | tojson(indent=10 ** 9) }}",
        "{{ [1] | batch(10 ** 9, 0) | list }}",
        "{{ '%0999999999d' | format(1) }}",
        "{{ '%0999999999d' % 1 }}",
        "{{ '{:>999999999}'.format(1) }}",
        "{{ ('a' * 500000) | replace('a', 'a' * 500000) }}",
        "{{ ('a' * 500000).replace('', 'bbbbbbbbbbbbbbbbbbbbbb') }}",
        "{{ (['a' * 500000] * 10000) | join }}",
        "{{ ('a\n' * 200000) | indent(400) }}",
    ],
)
def test_builtins_that_multiply_their_input_are_bounded(source: str) -> None:
    exc = failure(source)
    assert exc.message is not None
    assert "over" in exc.message or "larger than" in exc.message or "steps" in exc.message


def test_a_population_can_still_be_formatted() -> None:
    assert render(inp("{{ '%d người' | format(3000000) }}")).body == "3000000 người"


def test_two_renders_in_a_row_cannot_see_each_other() -> None:
    source = "{% set _ = vars.seen.append(unit.code) %}{{ vars.seen | length }}"
    data = {"seen": []}
    with pytest.raises(RenderFailed):  # the immutable sandbox refuses the mutation
        render(inp(source, vars=data))
    assert data["seen"] == []


def test_a_render_gets_its_own_copy_of_the_data() -> None:
    data: dict[str, Any] = {"seen": [1]}
    first = render(inp("{% set x = vars.seen %}{{ vars.seen | length }}", vars=data))
    assert first.body == "1"
    # Even if something in the sandbox could reach the list, it is not the caller's list.
    source = "{{ vars.seen is sameas vars.seen }}"
    assert render(inp(source, vars=data)).body == "True"
    from bantin.content.render import build_context

    context = build_context(inp("", vars=data))
    assert context["vars"]["seen"] is not data["seen"]


def test_compilation_is_cached_per_source_set() -> None:
    sources = {"t.j2": "{{ 1 }}"}
    assert compile_template(sources, "t.j2") is compile_template(dict(sources), "t.j2")
