"""Every word of the report exists in both languages."""

import pytest

from assistant.reports.labels import DEFAULT_TEMPLATES, load_labels


def keys(table, prefix=""):
    found = set()
    for key, value in table.items():
        if hasattr(value, "items"):
            found |= keys(value, f"{prefix}{key}.")
        else:
            found.add(f"{prefix}{key}")
    return found


def test_zh_and_en_labels_have_the_same_keys_and_no_empty_text():
    zh, en = load_labels(DEFAULT_TEMPLATES, "zh"), load_labels(DEFAULT_TEMPLATES, "en")
    assert keys(zh) == keys(en)
    assert (zh["lang"], en["lang"]) == ("zh", "en")
    for table in (zh, en):
        for key in keys(table):
            value = table
            for part in key.split("."):
                value = value[part]
            assert value not in ("", []), key


def test_no_label_is_named_like_a_mapping_method():
    # Templates read L.x as an attribute first: L.items would be the method, not the label.
    reserved = {"items", "keys", "values", "get", "copy"}
    assert not {k.split(".")[-1] for k in keys(load_labels(DEFAULT_TEMPLATES, "zh"))} & reserved


def test_labels_are_read_only_and_the_language_is_checked():
    labels = load_labels(DEFAULT_TEMPLATES, "zh")
    with pytest.raises(TypeError):
        labels["title"] = "x"  # type: ignore[index]
    with pytest.raises(ValueError, match="unknown report language"):
        load_labels(DEFAULT_TEMPLATES, "fr")
