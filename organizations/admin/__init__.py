from organizations.admin import members, needles, officers, organization, standing  # noqa: F401
