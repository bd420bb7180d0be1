"""``python -m kopplingar.bench [NAME] [OPTIONS]``: run one benchmark (default: reading)."""

from __future__ import annotations

import sys

BENCHMARKS = ("reading", "pipeline")


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    name = args.pop(0) if args and not args[0].startswith("-") else "reading"
    if name not in BENCHMARKS:
        print(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    if name == "pipeline":
        from kopplingar.bench import pipeline

        return pipeline.main(args)
    from kopplingar.bench import reading

    return reading.main(args)


if __name__ == "__main__":
    raise SystemExit(main())
