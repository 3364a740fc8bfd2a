#!/usr/bin/env bash
# Cloud-Optimised GeoTIFF of a grid: every band, DEFLATE, internal overviews, the source's nodata
# set explicitly on the output (or explicitly none). Prints {"product": "cog", …} as metadata.
source "$(dirname "$0")/common.sh"
grid=$(grid_argument "$@")
out="$outputs/$(stem "$grid")_cog.tif"
nodata=$(nodata_of "$grid")
gdal_translate -q "${COG_OPTIONS[@]}" -a_nodata "${nodata:-none}" "$grid" "$out"
printf '{"product": "cog", "output": %s, "nodata": %s}\n' \
  "$(json_string "$(basename "$out")")" "$(json_string "${nodata:-none}")"
