"""Text forms of option values shared by the CLI and the GUI."""

import pytest

from mcrkit.cli.options import (
    parse_assignments,
    parse_orientation,
    parse_shape,
    parse_strength,
    parse_weights,
    split_items,
)


def test_values_parse() -> None:
    assert parse_shape("64, 64 ,32") == (64, 64, 32)
    assert parse_shape("32X32") == (32, 32)
    assert parse_weights(["1", "1,10"]) == [1.0, 1.0, 10.0]
    assert parse_assignments("a=1; b=[1, 2]; c=null") == {"a": 1, "b": [1, 2], "c": None}
    assert parse_orientation(["x=zy", "y=zx"]) == {"x": "zy", "y": "zx"}
    assert parse_strength("0,2,2") == (0.0, 2.0, 2.0)
    assert parse_strength("1.5") == 1.5
    assert split_items(" a ,, b;c ") == ["a", "b", "c"]


@pytest.mark.parametrize(("parser", "text", "needs"), [
    (parse_shape, "64", "two or three whole numbers"),
    (parse_shape, "64 64 6.5", "two or three whole numbers"),
    (parse_shape, "1 2 3 4", "two or three whole numbers"),
    (parse_weights, "1,heavy", "numbers"),
    (parse_weights, "a=1,b=x", "numbers"),
    (parse_assignments, "final_ratio", "NAME=VALUE"),
    (parse_assignments, "=3", "NAME=VALUE"),
    (parse_orientation, "x:zy", "AXIS=ORDER"),
    (parse_strength, "strong", "a number"),
    (parse_strength, "", "a number"),
])
def test_bad_text_says_what_is_needed_and_what_came(parser, text, needs) -> None:
    with pytest.raises(ValueError, match=needs) as info:
        parser(text)
    assert "got" in str(info.value)
