from grids.admin import cases, grid, notices, roster, visits  # noqa: F401
