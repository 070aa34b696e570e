"""GeoJSON boundaries: a Polygon or MultiPolygon geometry in WGS 84 longitude/latitude."""

from numbers import Real

from django.core.exceptions import ValidationError


def _check_ring(ring, where: str) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        raise ValidationError(f"{where}：每个环至少需要 4 个坐标点。", code="geojson")
    for point in ring:
        if (
            not isinstance(point, list)
            or len(point) < 2
            or not all(isinstance(v, Real) and not isinstance(v, bool) for v in point[:2])
        ):
            raise ValidationError(f"{where}：坐标应为 [经度, 纬度] 数字对。", code="geojson")
        lng, lat = point[0], point[1]
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            raise ValidationError(f"{where}：坐标 {point[:2]} 超出经纬度范围。", code="geojson")
    if ring[0][:2] != ring[-1][:2]:
        raise ValidationError(f"{where}：环的首尾坐标必须相同（闭合）。", code="geojson")


def _check_polygon(rings, where: str) -> None:
    if not isinstance(rings, list) or not rings:
        raise ValidationError(f"{where}：多边形至少需要一个外环。", code="geojson")
    for ring in rings:
        _check_ring(ring, where)


def validate_boundary(value) -> None:
    """GeoJSON geometry of type Polygon or MultiPolygon (a Feature's geometry is not unwrapped)."""
    if value in (None, "", {}):
        return
    if not isinstance(value, dict):
        raise ValidationError("边界应为 GeoJSON 对象。", code="geojson")
    kind = value.get("type")
    coordinates = value.get("coordinates")
    if kind == "Polygon":
        _check_polygon(coordinates, "边界")
    elif kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise ValidationError("边界：MultiPolygon 至少需要一个多边形。", code="geojson")
        for index, polygon in enumerate(coordinates, start=1):
            _check_polygon(polygon, f"边界第 {index} 个多边形")
    else:
        raise ValidationError(
            "边界应为 GeoJSON 的 Polygon 或 MultiPolygon 几何对象。", code="geojson"
        )
