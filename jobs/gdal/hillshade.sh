#!/usr/bin/env bash
# Hillshade COG of a grid's first band. Geographic grids have degrees horizontally and metres
# vertically, so gdaldem needs the scale 111120 (metres per degree) there and 1 when projected.
# Cells without data stay nodata (0) in the hillshade. Prints {"product": "hillshade", …}.
source "$(dirname "$0")/common.sh"
grid=$(grid_argument "$@")
out="$outputs/$(stem "$grid")_hillshade.tif"
scale=1
if is_geographic "$grid"; then scale=111120; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# gdaldem cannot write COG directly (the driver only copies), hence the intermediate GeoTIFF.
gdaldem hillshade -q -compute_edges -b 1 -s "$scale" "$grid" "$work/hillshade.tif"
gdal_translate -q "${COG_OPTIONS[@]}" -a_nodata 0 "$work/hillshade.tif" "$out"
printf '{"product": "hillshade", "output": %s, "scale": %s}\n' \
  "$(json_string "$(basename "$out")")" "$scale"
