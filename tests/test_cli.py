"""The command line as a newcomer reads it: every command and every option says what it does."""

import argparse

import pytest

from evalkit.cli import parser


def subcommands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_the_commands_of_the_readme_exist():
    assert set(subcommands()) >= {"fetch", "indicators", "areas", "run", "verify", "site", "build", "lab"}


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_command_and_option_has_help(name):
    sp = subcommands()[name]
    assert sp.description and len(sp.description) > 15, name
    for action in sp._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"evalkit {name} {action.option_strings or action.dest}: no help text"


def test_a_cycle_that_is_not_a_year_is_a_usage_error_not_a_traceback(capsys):
    from evalkit.cli import main

    with pytest.raises(SystemExit) as e:
        main(["run", "--cycle", "zwanzig"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "invalid int value: 'zwanzig'" in err and "Traceback" not in err
