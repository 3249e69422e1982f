"""What the zygote may import before forking an execution environment (runtime.py)."""

from pathlib import Path

from scripts.devstack.runtime import third_party_imports


def test_module_level_imports_are_named_and_the_codes_own_and_lazy_ones_are_not(tmp_path: Path):
    layer = tmp_path / "layer"
    (layer / "mylib").mkdir(parents=True)
    (layer / "mylib" / "core.py").write_text(
        "from __future__ import annotations\n"
        "import boto3\n"
        "from pydantic import BaseModel\n"
        "from mylib.util import helper\n"
        "\n"
        "def later():\n"
        "    import web3\n"
    )
    function = tmp_path / "function"
    function.mkdir()
    (function / "app.py").write_text(
        "from aws_lambda_powertools.utilities import (\n    parser,\n)\nimport app_helpers\n"
    )
    (function / "app_helpers.py").write_text("import json\n")

    assert third_party_imports([layer, function, tmp_path / "absent"]) == [
        "boto3",
        "pydantic.BaseModel",
        "pydantic",
        "aws_lambda_powertools.utilities.parser",
        "aws_lambda_powertools.utilities",
        "json",
    ]
