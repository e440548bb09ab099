"""No command writes a tracked file unless it is named: verify's report defaults to out/."""

from __future__ import annotations

from pathlib import Path

from tools.cli import DEFAULT_VERIFY_JSON, DEFAULT_VERIFY_MARKDOWN, _parser

ROOT = Path(__file__).resolve().parents[2]


def test_verify_writes_its_report_to_the_ignored_out_folder_by_default() -> None:
    args = _parser().parse_args(["verify"])
    assert args.json_path == DEFAULT_VERIFY_JSON == Path("out/verify.json")
    assert args.markdown == DEFAULT_VERIFY_MARKDOWN == Path("out/verify.md")
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "/out/" in ignored


def test_readme_main_job_does_not_name_the_reference_report() -> None:
    readme = (ROOT / "README.md").read_text()
    main_job = readme.split("Main job:", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert main_job.strip() == "tools verify"
