"""CLI: `python -m sketchface_train <command> [--field value ...]`.

Each command is a module with a `Config` dataclass and `main(cfg)`; the flags are the dataclass fields.
"""
import argparse
import dataclasses
import importlib
import sys

COMMANDS = {
    "prepare": "data",
    "appearance": "appearance",
    "train-ce": "train_ce",
    "build-db": "build_db",
    "train-gan": "train_gan",
    "warm-start": "warm_start",
    "export": "export",
    "eval": "evaluate",
    "samples": "samples",
    "fixtures": "fixtures",
}


def parse_bool(s):
    if s.lower() in ("1", "true", "yes", "on"):
        return True
    if s.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true/false, got {s!r}")


def parser_for(command, config_cls):
    p = argparse.ArgumentParser(prog=f"python -m sketchface_train {command}", description=config_cls.__doc__)
    for f in dataclasses.fields(config_cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        flag = "--" + f.name.replace("_", "-")
        if isinstance(default, bool):
            p.add_argument(flag, type=parse_bool, nargs="?", const=True, default=default, help=f"(default {default})")
        elif isinstance(default, (tuple, list)):
            kind = type(default[0]) if default else str
            p.add_argument(flag, type=kind, nargs="+", default=default, help=f"(default {default})")
        else:
            p.add_argument(flag, type=type(default) if default is not None else str, default=default,
                           help=f"(default {default})")
    return p


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print("usage: python -m sketchface_train {" + ",".join(COMMANDS) + "} [--help]", file=sys.stderr)
        return 2
    module = importlib.import_module(f".{COMMANDS[argv[0]]}", __package__)
    args = parser_for(argv[0], module.Config).parse_args(argv[1:])
    cfg = module.Config(**{k: tuple(v) if isinstance(v, list) else v for k, v in vars(args).items()})
    return module.main(cfg) or 0


if __name__ == "__main__":
    sys.exit(main())
