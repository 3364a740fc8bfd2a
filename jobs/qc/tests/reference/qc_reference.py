import sys, numpy as np
from osgeo import gdal
gdal.UseExceptions()
ORDERS = {"exclusive": (0.15, 0.0075), "special": (0.25, 0.0075), "1a": (0.5, 0.013), "1b": (0.5, 0.013), "2": (1.0, 0.023)}
for path in sys.argv[1:]:
    ds = gdal.Open(path)
    e = ds.GetRasterBand(1); u = ds.GetRasterBand(2)
    z = e.ReadAsArray().astype(np.float64); unc = u.ReadAsArray().astype(np.float64)
    valid = (z != e.GetNoDataValue()) & ~np.isnan(z)
    d = np.abs(z[valid])
    print(path, "total", z.size, "valid", int(valid.sum()), "min %.17g max %.17g mean %.17g" % (d.min(), d.max(), d.mean()))
    has = valid & (unc != u.GetNoDataValue()) & ~np.isnan(unc)
    print("  with uncertainty", int(has.sum()))
    if has.sum():
        dd = np.abs(z[has]); uu = unc[has]
        for name, (a, b) in ORDERS.items():
            lim = np.sqrt(a*a + (b*dd)**2)
            print("  %s pass_fraction %.17g" % (name, (uu <= lim).sum() / has.sum()), "uunc range", uu.min(), uu.max())
