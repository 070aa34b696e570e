from webhooks.admin.endpoints import DeliveryAdmin, EndpointAdmin

__all__ = ["DeliveryAdmin", "EndpointAdmin"]
