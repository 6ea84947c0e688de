#ifndef ZEROTRIP_CHARFBUZZ_SHIM_H
#define ZEROTRIP_CHARFBUZZ_SHIM_H
#include <hb.h>
#include <hb-ot.h>
#include <hb-subset.h>
#endif
