#ifndef ZEROTRIP_CQRENCODE_SHIM_H
#define ZEROTRIP_CQRENCODE_SHIM_H
#include <qrencode.h>
#endif
