"""The placeholder newsfragments and their renaming in patch headers, offline."""

from __future__ import annotations

from tools.newsfragments import is_placeholder, number_patch, numbered, placeholders

PATCH = """\
Subject: [PATCH] guide: document it

Add newsfragments/PR-NUMBER.added.md (the message is not a header).

diff --git a/guide/src/x.md b/guide/src/x.md
index 1111111111111111111111111111111111111111..2222222222222222222222222222222222222222 100644
--- a/guide/src/x.md
+++ b/guide/src/x.md
@@ -1 +1,2 @@
 text
+see newsfragments/PR-NUMBER.added.md
diff --git a/newsfragments/PR-NUMBER.added.md b/newsfragments/PR-NUMBER.added.md
new file mode 100644
index 0000000000000000000000000000000000000000..3333333333333333333333333333333333333333
--- /dev/null
+++ b/newsfragments/PR-NUMBER.added.md
@@ -0,0 +1 @@
+Add `PYO3_BASE_PYTHON`.
"""


def test_placeholder_names() -> None:
    assert is_placeholder("newsfragments/PR-NUMBER.added.md")
    assert not is_placeholder("newsfragments/6113.added.md")
    assert not is_placeholder("guide/PR-NUMBER.added.md")
    assert not is_placeholder("newsfragments/PR-NUMBERS.md")
    assert numbered("newsfragments/PR-NUMBER.changed.md", 6200) == "newsfragments/6200.changed.md"
    assert numbered("src/lib.rs", 6200) == "src/lib.rs"


def test_placeholders_in_order_without_repeats() -> None:
    paths = [
        "noxfile.py",
        "newsfragments/PR-NUMBER.changed.md",
        "newsfragments/PR-NUMBER.added.md",
        "newsfragments/PR-NUMBER.changed.md",
    ]
    assert placeholders(paths) == [
        "newsfragments/PR-NUMBER.changed.md",
        "newsfragments/PR-NUMBER.added.md",
    ]


def test_only_file_headers_are_renamed() -> None:
    renamed = number_patch(PATCH, 6200)
    assert "diff --git a/newsfragments/6200.added.md b/newsfragments/6200.added.md\n" in renamed
    assert "+++ b/newsfragments/6200.added.md\n" in renamed
    # the message and the lines of the hunks are data
    assert "Add newsfragments/PR-NUMBER.added.md (the message" in renamed
    assert "+see newsfragments/PR-NUMBER.added.md\n" in renamed
    assert renamed.count("6200") == 3
    assert number_patch(renamed, 7) == renamed


def test_a_later_pull_request_of_a_stack_has_a_placeholder_of_its_own() -> None:
    later = "newsfragments/PR-NUMBER-2.added.md"
    assert is_placeholder(later)
    assert numbered(later, 6200) == "newsfragments/6200.added.md"
    assert not is_placeholder("newsfragments/PR-NUMBER-x.added.md")
    patch = f"diff --git a/{later} b/{later}\n+++ b/{later}\n@@ -0,0 +1 @@\n+{later}\n"
    assert number_patch(patch, 6200).splitlines() == [
        "diff --git a/newsfragments/6200.added.md b/newsfragments/6200.added.md",
        "+++ b/newsfragments/6200.added.md",
        "@@ -0,0 +1 @@",
        f"+{later}",  # a hunk's lines are content, never renamed
    ]
