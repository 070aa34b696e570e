"""The organizations app's demo data: the tree and its users (``tree``), then the members and
their records on it (``members``). ``seed`` is what ``manage.py seed_demo`` calls; it is the
only place that knows both, so ``members`` may import ``tree`` and never the other way round."""

from organizations.demo import members, officers, tree
from organizations.demo.tree import COMMUNITIES, demo_tree


def seed(stdout) -> None:
    """The tree and its users, then the members, 双报到, seats, posts and needles on it."""
    tree.seed(stdout)
    members.seed_issue3(stdout)
    officers.seed(stdout)


__all__ = ["COMMUNITIES", "demo_tree", "seed"]
