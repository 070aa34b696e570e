from open311.models.keys import ApiKey

__all__ = ["ApiKey"]
