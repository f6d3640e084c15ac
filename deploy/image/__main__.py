"""``python -m deploy.image``: build texrender's container image, or tell what it weighs.

python -m deploy.image build [--tag T] [--base IMAGE] [--refresh-base] [--no-cache]
python -m deploy.image base [--refresh-base]     # print the base a build would use
python -m deploy.image report [--tag T]          # size and largest layers
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from .base import usable_base
from .build import DEFAULT_TAG, build
from .buildah import BuildahMissing
from .report import lines


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m deploy.image", description=__doc__.split("\n")[0])
    commands = top.add_subparsers(dest="command", required=True)
    make = commands.add_parser("build", help="build the image (the base first, if need be)")
    base = commands.add_parser("base", help="print the base image a build would use")
    report = commands.add_parser("report", help="the image's size and its largest layers")
    for sub in (make, base):
        sub.add_argument("--base", help="a base image (default: Debian's slim, else made here)")
        sub.add_argument(
            "--refresh-base", action="store_true", help="make the local base again (debootstrap)"
        )
    make.add_argument("--no-cache", action="store_true", help="rebuild every step")
    for sub in (make, report):
        sub.add_argument("--tag", default=DEFAULT_TAG, help=f"default: {DEFAULT_TAG}")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "report":
            print("\n".join(lines(args.tag)))
            return 0
        base = usable_base(args.base, refresh=args.refresh_base)
        if args.command == "base":
            print(base)
            return 0
        built = build(args.tag, base, cache=not args.no_cache)
    except (BuildahMissing, RuntimeError) as exc:
        print(f"image: {exc}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        print(f"image: {exc.cmd[0]} failed (exit {exc.returncode})", file=sys.stderr)
        return 1
    print(f"image: built {args.tag} ({built.image_id[:12]}) from {base} in {built.seconds:.0f} s")
    print("\n".join(lines(args.tag)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
