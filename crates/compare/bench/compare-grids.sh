#!/usr/bin/env bash
# `leadline compare` on two 10,000 x 10,000 GeoTIFFs (Float32 depth + uncertainty, 5 % nodata):
# the same grid in other bytes (so the cell-by-cell path runs, not the CID shortcut), and one
# with a single changed cell; against GDAL's own gdalcompare.py on the same pair. For
# BENCHMARKS.md: wall time (so cells/s) and peak RSS, which must not grow with the grid.
# Data goes to BENCH_DIR (default: a temp folder, removed).
set -euo pipefail
cd "$(dirname "$0")/../../.."
cargo build --release --locked --bin leadline
leadline=$(realpath "${CARGO_TARGET_DIR:-target}")/release/leadline

data=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$data"
[ -n "${BENCH_DIR:-}" ] || trap 'rm -rf "$data"' EXIT
cd "$data"
export GDAL_PAM_ENABLED=NO
if [ ! -f expected.tif ]; then
  # Written in strips of rows so generating it needs little memory.
  /usr/bin/python3 - <<'PY'
import numpy as np
from osgeo import gdal
gdal.UseExceptions()
n, rows = 10_000, 500
ds = gdal.GetDriverByName("GTiff").Create("expected.tif", n, n, 2, gdal.GDT_Float32,
                                           ["TILED=YES", "COMPRESS=DEFLATE", "BIGTIFF=YES"])
ds.SetGeoTransform((500000.0, 1.0, 0.0, 4500000.0, 0.0, -1.0))
srs = gdal.osr.SpatialReference(); srs.ImportFromEPSG(32618); ds.SetProjection(srs.ExportToWkt())
depth, unc = ds.GetRasterBand(1), ds.GetRasterBand(2)
for band in (depth, unc): band.SetNoDataValue(1.0e6)
rng = np.random.default_rng(8)
x = np.arange(n, dtype=np.float32)
for y0 in range(0, n, rows):
    y = np.arange(y0, y0 + rows, dtype=np.float32)[:, None]
    z = -(55 + 50 * np.sin(x / 1500.0) * np.cos(y / 1700.0)).astype(np.float32)
    u = (0.2 + 0.6 * rng.random((rows, n))).astype(np.float32)
    holes = rng.random((rows, n)) < 0.05
    z[holes] = 1.0e6; u[holes] = 1.0e6
    depth.WriteArray(z, 0, y0); unc.WriteArray(u, 0, y0)
ds = None
PY
  gdal_translate -q -co TILED=YES -co COMPRESS=LZW -co BIGTIFF=YES expected.tif same.tif
  cp same.tif changed.tif
  /usr/bin/python3 -c '
from osgeo import gdal
import numpy as np
gdal.UseExceptions()
ds = gdal.Open("changed.tif", gdal.GA_Update)
ds.GetRasterBand(1).WriteArray(np.array([[-1.0]], dtype=np.float32), 9_000, 9_500)
'
fi
echo "== data: $(du -h expected.tif | cut -f1) expected.tif, $(gdalinfo expected.tif | grep 'Size is')"

# Exit status 1 (a difference) is the expected outcome of the changed pair.
hyperfine --warmup 1 --runs 3 -i \
  "$leadline compare same.tif expected.tif" \
  "$leadline compare changed.tif expected.tif" \
  "gdalcompare.py expected.tif same.tif"
for command in "$leadline compare same.tif expected.tif" \
  "$leadline compare changed.tif expected.tif" "gdalcompare.py expected.tif same.tif"; do
  /usr/bin/time -f "peak RSS %M KiB, wall %e s, CPU %P  <- $command" $command > /dev/null || true
done
echo "== the changed cell is found:"
"$leadline" compare changed.tif expected.tif || true
