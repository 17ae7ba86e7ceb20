// Everything lives in the header as static inline functions; this file
// exists so that SwiftPM builds the target as a C module.
#include "CKeyGateSystem.h"
