# Shared by the product steps: argument checks, output naming, and the facts about a grid the
# steps need (nodata, geographic or projected). Sourced, never run.
#
# Output names derive from the input's stem: `<stem>_<product>.<ext>`, written to
# $LEADLINE_OUTPUTS (default /outputs), so steps over different grids never collide and an
# input is never copied to a second name.
set -euo pipefail
# Reading a grid must leave nothing beside it (GDAL would write .aux.xml statistics files).
export GDAL_PAM_ENABLED=NO

outputs=${LEADLINE_OUTPUTS:-/outputs}

# The grid named by the single argument; exits 2 with usage otherwise, 1 when unreadable.
grid_argument() {
  if [ $# -ne 1 ]; then
    echo "usage: $(basename "$0") <grid>" >&2
    exit 2
  fi
  if ! gdalinfo "$1" > /dev/null 2>&1; then
    echo "error: cannot read grid $1 (not a raster GDAL can open)" >&2
    exit 1
  fi
  mkdir -p "$outputs"
  printf '%s' "$1"
}

stem() {
  local name
  name=$(basename "$1")
  printf '%s' "${name%.*}"
}

# The first band's nodata value, or nothing when it has none.
nodata_of() {
  gdalinfo "$1" 2>/dev/null | sed -n 's/^ *NoData Value=//p' | head -n 1
}

is_geographic() {
  gdalsrsinfo -o proj4 "$1" 2>/dev/null | grep -q -- '+proj=longlat'
}

json_string() {
  local text=${1//\\/\\\\}
  printf '"%s"' "${text//\"/\\\"}"
}

# Creation options every COG product shares.
COG_OPTIONS=(-of COG -co COMPRESS=DEFLATE -co OVERVIEWS=AUTO -co BIGTIFF=IF_SAFER)
