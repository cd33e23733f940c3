"""Every action code the code writes to the audit log has a Vietnamese name in the viewer."""
import ast
from pathlib import Path

import forum
from forum.admin.audit.labels import ACTION_LABELS
from forum.core import audit


def written_action_codes() -> set[str]:
    """The literal first arguments of every ``record_audit`` call in the package, plus the
    codes the audit module and viewer name as constants."""
    codes = {audit.FORBIDDEN}
    for path in Path(forum.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name != "record_audit":
                continue
            first = node.args[0]
            if isinstance(first, ast.IfExp):
                codes |= {first.body.value, first.orelse.value}
            elif isinstance(first, ast.Constant):
                codes.add(first.value)
    return codes


def test_every_written_action_has_a_label():
    codes = written_action_codes()
    assert "users.roster_imported" in codes and "user.reactivated" in codes
    assert sorted(codes - set(ACTION_LABELS)) == []
