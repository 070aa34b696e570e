"""``governance_unread_count`` for admin templates: the signed-in user's unread notifications.

Lazy, so a page that does not show the badge does not pay for the COUNT query.
"""

from django.utils.functional import SimpleLazyObject


def notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return {}

    def count() -> int:
        from governance.models import Notification

        return Notification.objects.for_user(user).unread().count()

    return {"governance_unread_count": SimpleLazyObject(count)}
