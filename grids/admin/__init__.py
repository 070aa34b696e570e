from grids.admin import cases, grid, roster, visits  # noqa: F401
