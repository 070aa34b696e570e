from organizations.admin import members, needles, organization, standing  # noqa: F401
