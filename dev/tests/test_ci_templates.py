"""The CI templates a platform team copies: pinned, bounded, approved, and
their shell steps lint clean. The plan summary's jq filter runs on a real
`forgectl plan --output json` from the emulator environment."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = ROOT / "templates" / "ci" / "github-actions.yml"
RELEASE = ROOT / "templates" / "ci" / "release.yml"
CLI_IMAGE = ROOT / "cli" / "Dockerfile"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")


def load(path: Path) -> dict[str, Any]:
    # PyYAML reads the `on:` key as the boolean True (YAML 1.1).
    return yaml.safe_load(path.read_text())


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


@pytest.mark.parametrize("path", [PIPELINE, RELEASE], ids=["pipeline", "release"])
def test_actions_are_pinned_by_commit_with_the_tag_in_a_comment(path: Path) -> None:
    uses = [step["uses"] for step in steps(load(path)) if "uses" in step]
    assert uses, "no actions found"
    for ref in uses:
        assert PINNED.match(ref), f"{path.name}: {ref} is not pinned by a 40-hex commit SHA"
    for line in path.read_text().splitlines():
        if "uses:" in line and "@" in line:
            assert re.search(r"# v\d", line), f"{path.name}: no tag comment on: {line.strip()}"


@pytest.mark.parametrize("path", [PIPELINE, RELEASE], ids=["pipeline", "release"])
def test_every_job_is_bounded_in_time(path: Path) -> None:
    for name, job in load(path)["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), f"{path.name}: job {name} has no timeout-minutes"


def test_apply_waits_for_approval_and_its_session_outlives_the_job() -> None:
    workflow = load(PIPELINE)
    apply = workflow["jobs"]["apply"]
    assert apply.get("environment"), "apply must run in an environment that requires approval"
    credentials = [s for s in apply["steps"] if "configure-aws-credentials" in s.get("uses", "")]
    assert len(credentials) == 1
    duration = int(credentials[0]["with"]["role-duration-seconds"])
    assert duration >= apply["timeout-minutes"] * 60, "the role session would expire before the job's timeout"
    provision = next(s for s in apply["steps"] if "forgectl provision" in s.get("run", ""))
    minutes = int(re.search(r"--timeout (\d+)m", provision["run"]).group(1))
    assert duration >= minutes * 60
    assert provision["timeout-minutes"] >= minutes


def test_pipeline_installs_a_verified_release_not_a_build() -> None:
    text = PIPELINE.read_text()
    assert "cargo install" not in text
    assert "sha256sum --check" in text
    assert "actions/cache@" in text


def test_pipeline_plans_into_the_step_summary_and_checks_drift_on_a_schedule() -> None:
    workflow = load(PIPELINE)
    triggers = workflow[True]
    assert triggers["schedule"], "no scheduled drift check"
    drift = workflow["jobs"]["drift"]
    runs = " ".join(s.get("run", "") for s in drift["steps"])
    assert "--detailed-exitcode" in runs and "topics check" in runs
    for job in ("plan", "apply", "drift"):
        assert any("GITHUB_STEP_SUMMARY" in s.get("run", "") for s in workflow["jobs"][job]["steps"]), job


def test_release_builds_both_linux_architectures_with_checksums() -> None:
    workflow = load(RELEASE)
    targets = {entry["target"] for entry in workflow["jobs"]["build"]["strategy"]["matrix"]["include"]}
    assert targets == {"x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"}
    assert "sha256sum" in RELEASE.read_text()


def run_blocks(path: Path) -> list[str]:
    return [step["run"] for step in steps(load(path)) if "run" in step]


@pytest.mark.parametrize("path", [PIPELINE, RELEASE], ids=["pipeline", "release"])
def test_run_steps_pass_shellcheck(path: Path, tmp_path: Path) -> None:
    assert shutil.which("shellcheck"), "shellcheck missing: run bash dev/setup"
    for index, block in enumerate(run_blocks(path)):
        # GitHub substitutes ${{ }} before bash sees the script.
        script = re.sub(r"\$\{\{[^}]*\}\}", "value", block)
        file = tmp_path / f"step{index}.sh"
        file.write_text("#!/usr/bin/env bash\n" + script)
        result = subprocess.run(["shellcheck", "-S", "warning", str(file)], capture_output=True, text=True)
        assert result.returncode == 0, f"{path.name} step {index}:\n{block}\n{result.stdout}"


def forgectl_binary() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "debug" / "forgectl"


def test_plan_summary_filter_renders_a_real_plan(tmp_path: Path) -> None:
    binary = forgectl_binary()
    assert binary.exists(), f"build forgectl first ({binary})"
    plan = subprocess.run(
        [str(binary), "--env", "emulator", "plan", "--tier", "50k", "--output", "json"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert plan.returncode in (0, 3), plan.stderr
    (tmp_path / "plan.json").write_text(plan.stdout)
    summary_step = next(s for s in steps(load(PIPELINE)) if s.get("name") == "Plan in the job summary")
    summary = tmp_path / "summary.md"
    result = subprocess.run(
        ["bash", "-c", summary_step["run"]], cwd=tmp_path, capture_output=True, text=True,
        env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary), "FORGECTL_ENV": "emulator"},
    )
    assert result.returncode == 0, result.stderr
    table = summary.read_text().splitlines()
    rows = [line for line in table if line.startswith("| ") and not line.startswith("| Resource")]
    assert any("cluster" in row for row in rows), summary.read_text()
    assert all(row.count(" | ") == 3 for row in rows), "a reason broke the table's columns"


def test_cli_image_is_multi_stage_and_runs_as_non_root() -> None:
    lines = [line.strip() for line in CLI_IMAGE.read_text().splitlines() if line.strip() and not line.startswith("#")]
    stages = [line for line in lines if line.startswith("FROM ")]
    assert len(stages) == 2, "a build stage and a small runtime stage"
    assert stages[-1].startswith("FROM debian:") and "slim" in stages[-1]
    final = lines[lines.index(stages[-1]):]
    users = [line for line in final if line.startswith("USER ")]
    assert users and users[-1].split()[1] not in ("0", "root")
    assert not any(line.startswith("ADD ") for line in lines), "COPY, never ADD"
    assert "--locked" in CLI_IMAGE.read_text()
