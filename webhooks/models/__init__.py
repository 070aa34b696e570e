from webhooks.models.endpoints import Delivery, DeliveryAttempt, Endpoint

__all__ = ["Delivery", "DeliveryAttempt", "Endpoint"]
