#ifndef ZEROTRIP_CZLIB_SHIM_H
#define ZEROTRIP_CZLIB_SHIM_H
#include <zlib.h>

/* deflateInit / inflateInit are macros; wrap them for Swift. */
static inline int zt_deflateInit(z_streamp strm, int level) { return deflateInit(strm, level); }
static inline int zt_inflateInit(z_streamp strm) { return inflateInit(strm); }
#endif
