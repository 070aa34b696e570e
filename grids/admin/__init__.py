from grids.admin import cases, departments, grid, notices, roster, visits  # noqa: F401
