import sys

if __name__ == "__main__":  # not when a worker process imports the parent's main module
    from .server import run_in_server

    code = run_in_server(sys.argv[1:]) if sys.argv[1:2] == ["build"] else None  # a warm server, if one is up
    if code is not None:
        sys.exit(code)
    from .cli import main

    main()
