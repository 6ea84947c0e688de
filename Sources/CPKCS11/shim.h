// The standard PKCS#11 (Cryptoki 2.40) interface as Debian ships it in libp11-kit-dev, and the dynamic loader: a
// token's module is loaded at run time with dlopen, never linked.
#include <p11-kit/pkcs11.h>
#include <dlfcn.h>
