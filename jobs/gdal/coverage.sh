#!/usr/bin/env bash
# Coverage polygon of a grid: its valid-data mask (GDAL's mask of band 1: nodata excluded),
# polygonised and dissolved into one feature, as GeoJSON in the grid's own CRS, with the area in
# km². The area is measured on a Lambert azimuthal equal-area projection centred on the coverage,
# so it is a true area whether the grid is geographic or projected.
# Prints {"product": "coverage", "output": …, "area_km2": …}.
source "$(dirname "$0")/common.sh"
grid=$(grid_argument "$@")
out="$outputs/$(stem "$grid")_coverage.geojson"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

gdal_translate -q -b mask,1 -of GTiff "$grid" "$work/mask.tif"
gdal_polygonize.py -q "$work/mask.tif" -mask "$work/mask.tif" -b 1 -f GeoJSON \
  "$work/parts.geojson" coverage valid

# One value from a one-row SQLite query over a GeoJSON file.
query() {
  ogrinfo -q -ro -dialect SQLite -sql "$2" "$1" | sed -n "s/^ *$3 ([A-Za-z]*) = //p" | head -n 1
}

parts=$(query "$work/parts.geojson" "SELECT COUNT(*) AS n FROM coverage" n)
area=0
if [ "${parts:-0}" -gt 0 ]; then
  ogr2ogr -t_srs EPSG:4326 "$work/lonlat.geojson" "$work/parts.geojson"
  lon=$(query "$work/lonlat.geojson" "SELECT ST_X(ST_Centroid(ST_Union(geometry))) AS lon FROM coverage" lon)
  lat=$(query "$work/lonlat.geojson" "SELECT ST_Y(ST_Centroid(ST_Union(geometry))) AS lat FROM coverage" lat)
  ogr2ogr -t_srs "+proj=laea +lat_0=$lat +lon_0=$lon +datum=WGS84 +units=m +no_defs" \
    "$work/equal_area.geojson" "$work/lonlat.geojson"
  area=$(query "$work/equal_area.geojson" "SELECT SUM(ST_Area(geometry)) / 1e6 AS km2 FROM coverage" km2)
fi
rm -f "$out"
ogr2ogr -f GeoJSON -dialect SQLite \
  -sql "SELECT ST_Union(geometry) AS geometry, $area AS area_km2 FROM coverage" \
  -nln coverage "$out" "$work/parts.geojson"
printf '{"product": "coverage", "output": %s, "area_km2": %s}\n' \
  "$(json_string "$(basename "$out")")" "$area"
