"""``python -m examples.portal [--db URL] [--host H] [--port N]``: the demo province, served by
uvicorn. The database defaults to a SQLite file (``portal.sqlite`` in the working directory); the
demo data is loaded once."""

from __future__ import annotations

import argparse

import uvicorn

from .serve import demo_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m examples.portal", description=__doc__)
    parser.add_argument("--db", default="sqlite:///portal.sqlite",
                        help="database URL (sqlite:///FILE, postgresql+psycopg://USER@HOST/DB)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    uvicorn.run(demo_app(args.db), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
